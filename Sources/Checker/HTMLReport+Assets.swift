// The page's inline style and script. The script only reads the data block and the SVG, and
// writes with `textContent` and class names: no trace string ever becomes markup.
extension HTMLReport {
    static let css = """
        body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;padding:0 18px 40px;color:#1d2330;background:#fbfbfd}
        h1{font-size:20px;margin:14px 0 4px}h2{font-size:16px;margin:18px 0 6px}
        .verdict{padding:2px 8px;border-radius:4px;color:#fff;font-size:14px}
        .verdict.pass{background:#2e7d32}.verdict.fail{background:#c62828}.verdict.error{background:#6a1b9a}.verdict.unknown{background:#ef6c00}
        .files,.context{margin:2px 0;color:#555;word-break:break-all}
        .error{background:#fde7ea;padding:8px 12px;border-radius:6px}
        #violations{padding-left:22px}.violation{margin:4px 0;padding:6px 8px;border-radius:6px;cursor:pointer;border:1px solid transparent}
        .violation.selected{background:#fff3e0;border-color:#ffb74d}.violation.other{background:#fde7ea;cursor:default}
        .invariant{color:#b71c1c}.decided{color:#6d4c41}.involved{color:#444}
        .controls{display:flex;gap:8px;align-items:center;margin:6px 0;flex-wrap:wrap}
        button{font:inherit;padding:3px 10px;border:1px solid #999;border-radius:4px;background:#fff;cursor:pointer}
        #stepinfo{min-width:110px;font-variant-numeric:tabular-nums}
        .legend i{display:inline-block;width:11px;height:11px;margin:0 3px 0 10px;vertical-align:-1px;border-radius:2px}
        .l-hl{background:#e53935}.l-decided{background:#ffca28}.l-crash{background:#111}.l-pathdown{background:#fb8c00}
        .l-takeover{background:#8e24aa}.l-recovery{background:#43a047}
        .frame{display:flex;align-items:flex-start;overflow-y:auto;max-height:70vh;border:1px solid #ddd;background:#fff;border-radius:6px}
        .lane-names{flex:none;border-right:1px solid #eceff1;background:#fafbfc}.scroller{overflow-x:auto;flex:1 1 auto}
        svg text{font-size:10px;text-anchor:middle;fill:#333}
        .lane line{stroke:#cfd8dc;stroke-width:2}.lane-label{text-anchor:start;font-size:13px;font-weight:600;fill:#263238}
        .cause{fill:none;stroke:#90a4ae;stroke-width:1.3}.cause.hot{stroke:#e53935;stroke-width:2}.cause.stub{stroke-dasharray:3 2}
        marker path{fill:#78909c}
        .ev{cursor:pointer}.ev .mark{fill:#5c6bc0;stroke:#283593;stroke-width:1.2}
        .ev .halo{fill:transparent;stroke:none}
        .ev.hl .halo{fill:#ffcdd2;stroke:#e53935;stroke-width:2}
        .ev.decided .halo{fill:#fff8e1;stroke:#ffb300;stroke-width:3}.ev.hl.decided .halo{fill:#ffcdd2}
        .ev.m-crash .mark{stroke:#111;stroke-width:3;fill:none}
        .ev.m-pathdown .mark{fill:#fb8c00;stroke:#e65100}.ev.m-pathup .mark{fill:#ffe0b2;stroke:#e65100}
        .ev.m-takeover .mark{fill:#8e24aa;stroke:#4a148c}.ev.m-recovery .mark{fill:#43a047;stroke:#1b5e20}
        .ev.m-failed .mark{fill:#e53935;stroke:#b71c1c}
        .ev.current .halo{stroke:#1565c0;stroke-width:4;fill:#bbdefb}.ev.picked .halo{stroke:#1565c0;stroke-width:2}
        .ev.dim{opacity:.45}
        .step{display:none}.step.on{display:inline}.step circle{fill:#1565c0}.step text{fill:#fff;font-weight:700}
        .step.now circle{fill:#e53935}
        .details{margin-top:8px;padding:8px 10px;background:#f1f3f6;border-radius:6px;font:12px/1.45 ui-monospace,Menlo,monospace;white-space:pre-wrap;word-break:break-all;min-height:3em}
        table{border-collapse:collapse;margin:6px 18px 10px 0;display:inline-table;vertical-align:top}
        td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}tr.broken td{background:#fde7ea}
        .note{color:#5d4037}.gap{font-size:18px;font-weight:700;fill:#8d6e63}
        """

    static let script = """
        (function(){
        "use strict";
        var block=document.getElementById("plumb-data");
        var data=JSON.parse(block.textContent);
        var details=document.getElementById("details");
        var info=document.getElementById("stepinfo");
        var v=0, step=-1;
        function el(i){return document.getElementById("ev-"+i);}
        function line(label,text){
          var d=document.createElement("div");
          var b=document.createElement("b");b.textContent=label+": ";
          d.appendChild(b);d.appendChild(document.createTextNode(text));details.appendChild(d);
        }
        function show(i){
          if(!details)return;
          var e=data.events[i];if(!e)return;
          details.textContent="";
          line("event",e.ev+" "+e.id);
          if(e.at)line("read at",e.at);
          if(e.causes.length)line("cause",e.causes.join(", "));
          line("fields",e.json);
          var viol=data.violations[v];
          if(viol&&viol.events.indexOf(i)>=0)line("violation",viol.invariant+": "+viol.message);
          if(viol&&viol.decided===i)line("decided","the violation was certain once this event was replayed");
        }
        function setStep(s){
          var viol=data.violations[v];if(!viol||!info)return;
          var n=viol.steps.length;
          if(n===0){info.textContent="no steps";return;}
          step=Math.max(0,Math.min(n-1,s));
          document.querySelectorAll(".ev.current").forEach(function(x){x.classList.remove("current");});
          document.querySelectorAll(".step.now").forEach(function(x){x.classList.remove("now");});
          var i=viol.steps[step], node=el(i);
          if(node){node.classList.add("current");
            if(node.scrollIntoView)node.scrollIntoView({block:"nearest",inline:"center"});}
          var badge=document.querySelector('.step[data-v="'+v+'"][data-step="'+step+'"]');
          if(badge)badge.classList.add("now");
          info.textContent="step "+(step+1)+" of "+n;
          show(i);
        }
        function selectViolation(k){
          if(!data.violations[k])return;
          v=k;step=-1;
          document.querySelectorAll(".violation[data-v]").forEach(function(x){
            x.classList.toggle("selected",Number(x.getAttribute("data-v"))===k);});
          document.querySelectorAll(".step").forEach(function(x){
            x.classList.toggle("on",Number(x.getAttribute("data-v"))===k);});
          document.querySelectorAll(".ev.current").forEach(function(x){x.classList.remove("current");});
          if(info)info.textContent="step 0 of "+data.violations[k].steps.length;
        }
        document.querySelectorAll(".violation[data-v]").forEach(function(x){
          x.addEventListener("click",function(){selectViolation(Number(x.getAttribute("data-v")));setStep(0);});});
        document.querySelectorAll(".ev").forEach(function(x){
          var i=Number(x.getAttribute("data-i"));
          x.addEventListener("mouseenter",function(){show(i);});
          x.addEventListener("focus",function(){show(i);});
          x.addEventListener("click",function(){
            document.querySelectorAll(".ev.picked").forEach(function(y){y.classList.remove("picked");});
            x.classList.add("picked");show(i);});
        });
        function on(id,f){var b=document.getElementById(id);if(b)b.addEventListener("click",f);}
        on("first",function(){setStep(0);});
        on("prev",function(){setStep(step-1);});
        on("next",function(){setStep(step+1);});
        document.addEventListener("keydown",function(ev){
          if(ev.key==="ArrowRight"||ev.key==="n"){setStep(step+1);ev.preventDefault();}
          else if(ev.key==="ArrowLeft"||ev.key==="p"){setStep(step-1);ev.preventDefault();}
          else if(ev.key==="Home"){setStep(0);ev.preventDefault();}
        });
        // A link can open a violation and a step: page.html#v=0&step=3.
        var hv=/(?:^|[#&])v=(\\d+)/.exec(location.hash);if(hv)selectViolation(Number(hv[1]));
        var hs=/(?:^|[#&])step=(\\d+)/.exec(location.hash);if(hs)setStep(Number(hs[1])-1);
        document.body.setAttribute("data-ready","1");
        })();
        """
}
