"""The inline stylesheet and script of the HTML report, and the Content-Security-Policy for them.

Both blocks are constants, so the page's CSP allows exactly them by SHA-256 hash: no
``'unsafe-inline'``, so a ``<script>`` or ``style`` attribute that ever slipped through escaping
would still not run or apply. ``default-src 'none'`` forbids every fetch (images, fonts,
frames, connections); ``form-action`` and ``base-uri`` are not covered by ``default-src`` and are
closed separately. The script only folds and filters: with scripts disabled every section is in
the page, the ``<details>`` boxes still open with a click or the keyboard, and the controls that
need the script stay hidden.
"""

from __future__ import annotations

import base64
import hashlib

__all__ = ["CSP", "SCRIPT", "STYLE"]

STYLE = """
:root{--fg:#1b1f24;--muted:#57606a;--line:#c9d1d9;--bg:#fff;--soft:#f6f8fa;--accent:#0b5cad;
--bad:#a40e26;--bad-bg:#ffebe9;--warn:#7a4d00;--warn-bg:#fff8c5;--ok:#116329;--ok-bg:#dafbe1;
--chg:#fff1c2;--box:#eef5fd;--box-line:#7aa7d9}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
color:var(--fg);background:var(--bg)}
main{max-width:1400px;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:1.5rem;margin:.2rem 0 .6rem}
h2,.report h3:not(.cat>h3){font-size:1.2rem;margin:1.6rem 0 .5rem;
border-bottom:1px solid var(--line);padding-bottom:.2rem}
h3,h4{font-size:1rem;margin:1rem 0 .3rem}
.cat>h3,.cat>h4{font-size:.85rem;margin:.3rem 0;text-transform:uppercase;letter-spacing:.04em;
color:var(--muted)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;
font-size:.92em}
.path{color:var(--muted);overflow-wrap:anywhere}
.report{margin-bottom:3rem}
.banner{border:2px solid;border-radius:6px;padding:.7rem 1rem;margin:.5rem 0 1rem}
.banner p{margin:.2rem 0}.banner .verdict{font-weight:700;font-size:1.1rem}
.banner.unsafe{border-color:var(--bad);background:var(--bad-bg);color:var(--bad)}
.banner.review{border-color:#bf8700;background:var(--warn-bg);color:var(--warn)}
.banner.safe{border-color:var(--ok);background:var(--ok-bg);color:var(--ok)}
.banner table{color:var(--fg);background:#fff}
table{border-collapse:collapse;margin:.3rem 0;max-width:100%}
th,td{border:1px solid var(--line);padding:.2rem .45rem;text-align:left;vertical-align:top;
overflow-wrap:break-word}
td.mono{max-width:24rem}
th{background:var(--soft);font-weight:600}
caption{text-align:left;font-weight:600;padding:.2rem 0}
.overview ul{list-style:none;margin:0;padding-left:1.3rem;border-left:1px dotted var(--line)}
.overview>ul{padding-left:0;border-left:0}
.overview li{margin:.15rem 0}
.cls{font-weight:600}.lbl{font-family:ui-monospace,Menlo,Consolas,monospace;color:var(--accent)}
.params{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
.facts{color:var(--muted)}
.facts-line{margin:.2rem 0}
.tag{display:inline-block;border:1px solid var(--muted);border-radius:3px;padding:0 .25rem;
font-size:.75em;color:var(--muted);margin-left:.3rem;vertical-align:1px}
.tag.bad{border-color:var(--bad);color:var(--bad)}.tag.chg{border-color:#9a6700;color:#7a4d00}
.toolbar{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;position:sticky;top:0;
background:var(--bg);padding:.4rem 0;z-index:2;border-bottom:1px solid var(--line)}
.toolbar input,.toolbar select,.toolbar button{font:inherit;padding:.2rem .4rem}
.toolbar input{min-width:16rem}
.diagram{overflow-x:auto;padding:.3rem 0}
.node{border:1px solid var(--box-line);border-radius:5px;background:var(--bg);margin:.25rem 0;
min-width:12rem}
.node.meta{border-style:dashed;padding:.2rem .4rem .4rem;background:#fbfdff}
.node.leaf>details>summary,.node.meta>details>summary{background:var(--box)}
.node.template{opacity:.85;border-style:dotted}
.node.diff-mark{outline:3px solid #bf8700}
details>summary{cursor:pointer;padding:.3rem .5rem;border-radius:4px;list-style-position:inside}
details>summary:focus-visible{outline:2px solid var(--accent);outline-offset:1px}
.node>details[open]>summary{border-bottom:1px solid var(--line);border-radius:4px 4px 0 0}
.body{padding:.4rem .5rem}
.serial{display:flex;flex-direction:column;align-items:flex-start;gap:0}
.serial>.step+.step::before{content:"\\2193";display:block;color:var(--muted);padding-left:1.2rem;
line-height:1.1}
.parallel{display:flex;flex-wrap:wrap;gap:.6rem;align-items:flex-start}
.branch{border-top:3px solid var(--box-line);padding-top:.2rem}
.branch-head{font-size:.85em;margin-bottom:.1rem}
.cols3{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,19rem),1fr));
gap:.8rem;align-items:start}
.cat{min-width:0;overflow-x:auto}.cat table{width:100%;font-size:.88em}
.cat td .legend{font-size:.85em}.cat td.mono{overflow-wrap:anywhere}
.node>details[open]{min-width:min(72rem,92vw)}
tr.changed td{background:var(--chg)}tr.alert-row td,tr.alert-row th{background:var(--bad-bg)}
td.num{font-variant-numeric:tabular-nums}
svg.spark{vertical-align:middle;margin-left:.3rem}
.legend{color:var(--muted);font-size:.85em}
.templates>summary{color:var(--muted);font-size:.9em}
.diffgrid{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
tr.st-changed td{background:var(--chg)}tr.st-added td{background:var(--ok-bg)}
tr.st-removed td{background:var(--bad-bg)}
.nomatch{opacity:.45}
[hidden]{display:none!important}
footer{color:var(--muted);font-size:.85em;margin-top:2rem}
@media print{
.toolbar,.nojs-hide{display:none!important}
main{max-width:none;padding:0}
details::details-content{content-visibility:visible;display:block}
details>summary{list-style:none}
.node,tr{break-inside:avoid}
.banner{border-width:3px}
a{color:inherit;text-decoration:none}
.diffgrid{grid-template-columns:1fr}
}
"""

SCRIPT = """
(function(){
'use strict';
var d=document;
function all(root,sel){return Array.prototype.slice.call(root.querySelectorAll(sel));}
all(d,'[data-needs-js]').forEach(function(e){e.hidden=false;});
function apply(bar){
  var scope=d.getElementById(bar.getAttribute('data-scope'));
  if(!scope){return;}
  var q=bar.querySelector('input').value.trim().toLowerCase();
  var c=bar.querySelector('select').value;
  var shown=0;
  all(scope,'tr[data-name]').forEach(function(tr){
    var ok=(!q||tr.getAttribute('data-name').toLowerCase().indexOf(q)>=0)&&
      (!c||tr.getAttribute('data-cat')===c);
    tr.hidden=!ok;if(ok){shown++;}
  });
  all(scope,'section.cat').forEach(function(s){
    s.hidden=!!c&&s.getAttribute('data-cat')!==c;
  });
  all(scope,'details.est').forEach(function(det){
    var body=det.querySelector(':scope>.body');
    var cls=(det.getAttribute('data-cls')||'').toLowerCase();
    var hits=body?body.querySelectorAll('tr[data-name]:not([hidden])').length:0;
    var match=hits>0||(q&&cls.indexOf(q)>=0);
    det.parentNode.classList.toggle('nomatch',!!(q||c)&&!match);
    if(q&&hits>0){det.open=true;}
  });
  var out=bar.querySelector('output');
  if(out){out.textContent=(q||c)?shown+' attributes match':'';}
}
all(d,'.toolbar').forEach(function(bar){
  bar.querySelector('input').addEventListener('input',function(){apply(bar);});
  bar.querySelector('select').addEventListener('change',function(){apply(bar);});
  all(bar,'button[data-open]').forEach(function(b){
    b.addEventListener('click',function(){
      var scope=d.getElementById(bar.getAttribute('data-scope'));
      var open=b.getAttribute('data-open')==='1';
      all(scope,'details').forEach(function(det){det.open=open;});
    });
  });
});
var closed=[];
window.addEventListener('beforeprint',function(){
  closed=all(d,'details:not([open])');closed.forEach(function(x){x.open=true;});
});
window.addEventListener('afterprint',function(){closed.forEach(function(x){x.open=false;});
  closed=[];});
})();
"""


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


CSP = (
    "default-src 'none'; "
    f"style-src {_hash(STYLE)}; "
    f"script-src {_hash(SCRIPT)}; "
    "img-src 'none'; font-src 'none'; connect-src 'none'; frame-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)
"""The page's policy: nothing may be fetched; only the two blocks above may run or apply."""
