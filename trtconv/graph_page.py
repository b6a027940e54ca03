"""The HTML, CSS and script of `trtconv.graph`'s page (no external resources).

The script reads the JSON data block, draws the module tree lazily (a collapsed module's
children are built on first expansion, so a 3,000-layer network opens at once) and reports
its state on the root element for tests: `data-status="ok"` once drawn, `"error"` with the
message in `#errors` if any script error happened; `data-layer-rows` counts the layer rows
drawn. URL fragments (joined with `&`): `#expand=all`, `#expand=<module.path>,...`,
`#layer=<layer name>` (opens its call and highlights it).
"""

from __future__ import annotations

import html

CSS = """
:root{--fg:#1d2330;--mute:#6b7385;--line:#d9dde6;--bg:#f6f7fa;--card:#fff;--acc:#2f6fde}
*{box-sizing:border-box}body{margin:0;font:13px/1.45 system-ui,-apple-system,'Segoe UI',
sans-serif;color:var(--fg);background:var(--bg)}
header{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid var(--line);
padding:10px 16px}
h1{font-size:16px;margin:0 0 4px}.sub{color:var(--mute)}
.bar{display:flex;gap:8px;align-items:center;margin-top:8px;flex-wrap:wrap}
button{font:inherit;border:1px solid var(--line);background:#fff;border-radius:6px;
padding:3px 10px;cursor:pointer}button:hover{border-color:var(--acc)}
input[type=search]{font:inherit;border:1px solid var(--line);border-radius:6px;padding:3px 8px;
width:260px}
main{padding:12px 16px;display:grid;grid-template-columns:minmax(0,1fr) 300px;gap:16px}
aside{font-size:12px}aside section{background:var(--card);border:1px solid var(--line);
border-radius:8px;padding:8px 10px;margin-bottom:10px}aside h2{font-size:12px;margin:0 0 6px;
text-transform:uppercase;letter-spacing:.04em;color:var(--mute)}
aside table{border-collapse:collapse;width:100%}aside td{padding:1px 4px;vertical-align:top}
aside td.n{text-align:right;color:var(--mute)}
.node{margin:4px 0 4px 0}.kids{margin-left:18px;border-left:2px solid var(--line);
padding-left:8px}
.head{display:flex;gap:8px;align-items:baseline;cursor:pointer;padding:3px 8px;
border-radius:6px;background:var(--card);border:1px solid var(--line)}
.head:hover{border-color:var(--acc)}.tw{width:12px;color:var(--mute);flex:none}
.mod>.head{background:#eef2fb}.mod>.head .nm{font-weight:600}
.cls{color:var(--acc)}.path{color:var(--mute);font-size:11px}
.call>.head{border-left:4px solid var(--fam,#999)}.op{font-weight:600}
.src{color:var(--mute);font-size:11px;margin-left:auto;white-space:nowrap}
.shape{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.dyn{color:#b5530b;font-style:italic}
.chip{display:inline-block;border-radius:9px;padding:0 7px;font-size:11px;
background:#e8ebf2;color:#394152;white-space:nowrap}
.chip.f32{background:#fff1c2;color:#7a5a00}.chip.guard{background:#ffd9d6;color:#8a1c12}
.chip.py{background:#dff3e4;color:#1f6b35}.chip.run{background:#e4dcf7;color:#4b2f8f}
.pytorch>.head{background:#f0faf2;border-style:dashed;cursor:default}
.layers{margin:4px 0 6px 18px;border-collapse:collapse;font-size:12px}
.layers td{padding:2px 8px;border-bottom:1px solid #eceef3;vertical-align:top}
.ty{color:#fff;border-radius:4px;padding:0 6px;font-size:11px;background:var(--fam,#888)}
.reads{margin:2px 0 2px 18px;color:var(--mute);font-size:12px}
a{color:var(--acc);cursor:pointer;text-decoration:none}a:hover{text-decoration:underline}
.props{color:var(--mute);font-size:11px}.flash{animation:fl 1.6s}
@keyframes fl{0%{background:#ffe58a}100%{background:transparent}}
#errors{color:#a00;white-space:pre-wrap}.hits a{display:block}
"""

# Layer type -> family color (the call's left border and the type chip).
FAMILIES = {
    "Convolution": "#2f6fde", "Deconvolution": "#2f6fde", "MatrixMultiply": "#7b4bd6",
    "Attention": "#7b4bd6", "Einsum": "#7b4bd6", "ElementWise": "#5b6478", "Unary": "#8a5cc2",
    "Activation": "#e07b18", "ParametricReLU": "#e07b18", "Pooling": "#1e9c8a",
    "Reduce": "#2e8b57", "Normalization": "#2e8b57", "SoftMax": "#2e8b57", "Scale": "#2e8b57",
    "Shuffle": "#9a6b3f", "Slice": "#9a6b3f", "Concatenation": "#9a6b3f", "Gather": "#9a6b3f",
    "Cast": "#c9a400", "Constant": "#a3a9b8", "Identity": "#a3a9b8", "Shape": "#a3a9b8",
    "Quantize": "#d0417e", "Dequantize": "#d0417e",
}

JS = r"""
(function(){
var D=JSON.parse(document.getElementById('data').textContent);
var FAM=JSON.parse(document.getElementById('families').textContent);
var T=D.tensors,L=D.layers,rows=0,nodes=[],byLayer={};
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;
  if(text!==undefined)e.textContent=text;return e}
function shape(s){var e=el('span','shape');e.appendChild(document.createTextNode('('));
  s.forEach(function(d,i){if(i)e.appendChild(document.createTextNode(', '));
    var x=el('span',d<0?'dyn':'',String(d));if(d<0)x.title='dynamic: known at run time';
    e.appendChild(x)});e.appendChild(document.createTextNode(')'));return e}
function tensorText(i){var t=T[i];var e=el('span');e.appendChild(shape(t.s));
  e.appendChild(document.createTextNode(' '+t.d));return e}
function chip(cls,text,title){var c=el('span','chip '+cls,text);if(title)c.title=title;return c}
function shortOp(op){var p=op.split('.');return p[p.length-1]==='forward'&&p.length>1?
  p[p.length-2]:p[p.length-1]}
function famOf(type){return FAM[type]||'#888'}
var guardsAt={};(D.guards||[]).forEach(function(g){var p=g.module_path||'';
  (guardsAt[p]=guardsAt[p]||[]).push(g)});
function prepare(n,parent){n.id=nodes.length;nodes.push(n);n.parent=parent;
  n.count=0;n.f32=0;n.guards=0;
  if(n.k==='c'){n.count=n.l.length;n.l.forEach(function(i){byLayer[i]=n;if(L[i].f)n.f32++})}
  if(n.k==='m'){n.guards=(guardsAt[n.p]||[]).length;n.c.forEach(function(c){prepare(c,n);
    n.count+=c.count;n.f32+=c.f32;n.guards+=c.guards});
    n.merged=n!==D.tree&&n.c.length===1&&n.c[0].k==='c'}}
prepare(D.tree,null);
function moduleHead(n){var h=el('div','head');h.appendChild(el('span','tw','\u25b8'));
  h.appendChild(el('span','nm',n.n));var cls=D.types[n.p];
  if(cls)h.appendChild(el('span','cls',cls));
  if(n.p!==n.n)h.appendChild(el('span','path',n.p));
  if(n.r>1)h.appendChild(chip('run','run '+n.r,'this module ran again here'));
  h.appendChild(chip('',n.count+' layers'));
  if(n.f32)h.appendChild(chip('f32',n.f32+' fp32','layers kept in fp32'));
  if(n.guards){var gs=guardsAt[n.p]||[];h.appendChild(chip('guard',n.guards+' guard',
    gs.map(function(g){return g.kind+': '+g.message}).join('\n')||'guards inside'))}
  if(n.merged){var c=n.c[0],o=lastOut(c);h.appendChild(el('span','path',shortOp(c.op)));
    if(o>=0)h.appendChild(tensorText(o));var s=el('span','src',c.src);
    s.title=c.op+' @ '+c.file;h.appendChild(s)}
  return h}
function lastOut(n){var l=L[n.l[n.l.length-1]];return l.o.length?l.o[0]:-1}
function callHead(n){var h=el('div','head');h.appendChild(el('span','tw','\u25b8'));
  h.appendChild(el('span','op',shortOp(n.op)));h.appendChild(el('span','path',n.n));
  var o=lastOut(n);if(o>=0)h.appendChild(tensorText(o));
  if(n.l.length>1)h.appendChild(chip('',n.l.length+' layers'));
  if(n.f32)h.appendChild(chip('f32','fp32',L[n.l[0]].f||'kept in fp32'));
  var s=el('span','src',n.src);s.title=n.op+' @ '+n.file;h.appendChild(s);
  return h}
function build(n){var d=el('div','node '+(n.k==='m'?'mod':n.k==='c'?'call':'pytorch'));
  d.id='n'+n.id;n.div=d;n.open=false;
  if(n.k==='p'){var h=el('div','head');h.appendChild(chip('py','PyTorch'));
    h.appendChild(el('span','op',shortOp(n.op)));var s=el('span','src',n.src);
    s.title=n.op+' @ '+n.file;h.appendChild(s);d.appendChild(h);return d}
  var head=n.k==='m'?moduleHead(n):callHead(n);
  if(n.k==='c')d.style.setProperty('--fam',famOf(L[n.l[0]].t));
  head.onclick=function(){toggle(n)};d.appendChild(head);return d}
function toggle(n,open){if(open===undefined)open=!n.open;if(open===n.open)return;n.open=open;
  n.div.firstChild.firstChild.textContent=open?'\u25be':'\u25b8';
  if(!n.body){n.body=n.merged?callBody(n.c[0]):n.k==='m'?moduleBody(n):callBody(n);
    n.div.appendChild(n.body);if(n.merged){var c=n.c[0];c.div=n.div;c.body=n.body;c.open=true}}
  n.body.style.display=open?'':'none'}
function moduleBody(n){var b=el('div','kids');n.c.forEach(function(c){b.appendChild(build(c))});
  return b}
function link(ti){var t=T[ti];var a=el('a','',t.n);a.title='go to the layer that makes it';
  a.onclick=function(ev){ev.stopPropagation();if(t.p>=0)reveal(t.p)};return a}
function callBody(n){var b=el('div');var inside={};n.l.forEach(function(i){inside[i]=1});
  var reads=[];n.l.forEach(function(i){L[i].i.forEach(function(ti){if(ti<0)return;
    var p=T[ti].p;if(p>=0&&(inside[p]||L[p].t==='Constant'))return;
    if(reads.indexOf(ti)<0)reads.push(ti)})});
  if(reads.length){var r=el('div','reads','reads ');reads.forEach(function(ti,k){
    if(k)r.appendChild(document.createTextNode(', '));r.appendChild(link(ti));
    if(T[ti].p>=0){var src=byLayer[T[ti].p];if(src&&src.n)r.appendChild(
      document.createTextNode(' ('+src.n+')'))}});b.appendChild(r)}
  var tb=el('table','layers');n.l.forEach(function(i){tb.appendChild(layerRow(i))});
  b.appendChild(tb);return b}
function layerRow(i){var l=L[i];var tr=el('tr');tr.id='l'+i;rows++;
  var td=el('td');var ty=el('span','ty',l.t);ty.style.setProperty('--fam',famOf(l.t));
  td.appendChild(ty);tr.appendChild(td);tr.appendChild(el('td','',l.n));
  var out=el('td');l.o.forEach(function(o,k){if(k)out.appendChild(el('br'));
    out.appendChild(tensorText(o))});tr.appendChild(out);
  var p=el('td','props');var keys=Object.keys(l.a);p.textContent=keys.map(function(k){
    return k+'='+l.a[k]}).join('  ');tr.appendChild(p);
  var f=el('td');if(l.f)f.appendChild(chip('f32','fp32 island',l.f));tr.appendChild(f);
  return tr}
function openChain(n){var chain=[];for(var m=n;m&&m!==D.tree;m=m.parent)chain.unshift(m);
  chain.forEach(function(m){if(!(m.k==='c'&&m.parent.merged))toggle(m,true)})}
function reveal(i,stay){var n=byLayer[i];if(!n)return;openChain(n);
  var row=document.getElementById('l'+i);if(!row)return;
  if(!stay)row.scrollIntoView({block:'center'});
  row.classList.remove('flash');void row.offsetWidth;row.classList.add('flash')}
function expandAll(n){if(n!==D.tree&&n.k!=='p'&&!(n.k==='c'&&n.parent.merged))
  toggle(n,true);if(n.k==='m'&&!n.merged)n.c.forEach(expandAll)}
function collapseAll(){nodes.forEach(function(n){if(n!==D.tree&&n.div&&n.k!=='p'&&
  !(n.k==='c'&&n.parent.merged))toggle(n,false)})}
function expandPath(p){nodes.forEach(function(n){if(n.k==='m'&&n.p===p)openChain(n)})}
function side(){var a=document.getElementById('side');var types={};
  L.forEach(function(l){types[l.t]=(types[l.t]||0)+1});
  section(a,'Layers per type',Object.keys(types).sort(function(x,y){return types[y]-types[x]})
    .map(function(k){return [k,types[k]]}));
  var tops={},order=[];D.tree.c.forEach(function(c){var p=c.k==='m'?c.p:'<root>';
    if(!(p in tops)){tops[p]=0;order.push(p)}tops[p]+=c.count});
  section(a,'Layers per top module',order.map(function(p){return [p,tops[p]]}));
  var reasons={};L.forEach(function(l){if(l.f){var r=l.f.replace(/ reaches .*/,
    ' beyond the range').replace(/'auto'.*/,"'auto'");reasons[r]=(reasons[r]||0)+1}});
  section(a,'fp32 islands',Object.keys(reasons).map(function(k){return [k,reasons[k]]}));
  section(a,'Guards',(D.guards||[]).map(function(g){return [g.kind+' in '+(g.module_path||
    '<root>')+': '+g.message,'']}));
  var seen={},warn=[];(D.warnings||[]).forEach(function(w){if(!seen[w]){seen[w]=1;warn.push(w)}});
  var shown=warn.slice(0,5).map(function(w){return [w,'']});
  if(warn.length>5)shown.push(['... '+(warn.length-5)+' more (model_trt.metadata["warnings"])','']);
  section(a,'Warnings',shown)}
function section(a,title,items){if(!items.length)return;var s=el('section');
  s.appendChild(el('h2','',title));var t=el('table');items.forEach(function(it){
    var tr=el('tr');tr.appendChild(el('td','',it[0]));tr.appendChild(el('td','n',
    String(it[1])));t.appendChild(tr)});s.appendChild(t);a.appendChild(s)}
function io(){var e=document.getElementById('io');D.inputs.forEach(function(x){
  var s=el('span','chip');s.appendChild(document.createTextNode('in '+T[x.t].n+' '));
  s.appendChild(tensorText(x.t));var r=x.ranges.filter(function(v){return v});
  if(r.length)s.title=r.map(function(v){return 'min '+v[0]+' opt '+v[1]+' max '+v[2]})
    .join('\n');e.appendChild(s)});D.outputs.forEach(function(o){var s=el('span','chip');
  s.appendChild(document.createTextNode('out '+T[o].n+' '));s.appendChild(tensorText(o));
  e.appendChild(s)})}
function search(q){var h=document.getElementById('hits');h.textContent='';if(!q)return;
  q=q.toLowerCase();var found=0;L.forEach(function(l,i){if(found>=200)return;
    if((l.n+' '+l.t).toLowerCase().indexOf(q)>=0){found++;var a=el('a','',l.n+' ('+l.t+')');
      a.onclick=function(){reveal(i)};h.appendChild(a)}});
  if(!found)h.textContent='no layer matches'}
var tree=document.getElementById('tree');D.tree.c.forEach(function(c){tree.appendChild(build(c))});
D.tree.open=true;io();side();
document.getElementById('all').onclick=function(){expandAll(D.tree);status()};
document.getElementById('none').onclick=function(){collapseAll();status()};
document.getElementById('q').oninput=function(e){search(e.target.value)};
decodeURIComponent(location.hash.slice(1)).split('&').forEach(function(p){
  if(p==='expand=all')expandAll(D.tree);
  else if(p.indexOf('expand=')===0)p.slice(7).split(',').forEach(expandPath);
  else if(p.indexOf('layer=')===0)L.forEach(function(l,i){if(l.n===p.slice(6))reveal(i,1)})});
function status(){var r=document.documentElement;r.dataset.layerRows=String(rows);
  if(r.dataset.status!=='error')r.dataset.status='ok'}
status();
})();
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<script>window.onerror=function(m,s,l,c){{var r=document.documentElement;
r.dataset.status='error';var e=document.getElementById('errors');
var t=m+' (line '+l+':'+c+')\\n';if(e)e.textContent+=t;else r.dataset.error=t;}};</script>
<style>{css}</style></head>
<body><header><h1>{title}</h1><div class="sub">trtconv: modules in the order the forward pass
ran them; click a module or a call to open it</div>
<div class="bar"><button id="all">Expand all</button><button id="none">Collapse</button>
<input id="q" type="search" placeholder="find a layer by name or type"><span id="io"></span>
</div><div class="hits" id="hits"></div><div id="errors"></div></header>
<main><div id="tree"></div><aside id="side"></aside></main>
<script type="application/json" id="data">{data}</script>
<script type="application/json" id="families">{families}</script>
<script>{js}</script>
</body></html>
"""


def render(title: str, data_json: str) -> str:
    """The page with `data_json` (already safe inside a script element) embedded."""
    import json

    families = json.dumps(FAMILIES)
    return TEMPLATE.format(title=html.escape(title), css=CSS, data=data_json,
                           families=families, js=JS)
