/**
 * A picture of the chart's Grafana dashboard (helm/partwarden/dashboards/partwarden.json) for the
 * docs, drawn from its own panels: every query is sent to a real Prometheus (query_range for time
 * series, an instant query for stats and tables) and drawn with uPlot, the chart library Grafana
 * itself draws time series with, in headless Chromium. Not Grafana (its Go module is refused by
 * the module proxy here: AGPL): the layout (gridPos), titles, queries, legends and units are the
 * dashboard's; the styling is an approximation. Dev only: `.ci/dashboard-picture.sh` runs it.
 *
 *   node dist/src/dev/dashboard-preview.js --prometheus URL --from UNIX --to UNIX --out FILE.png
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface Target { expr: string; legendFormat?: string; instant?: boolean }
interface Panel { title: string; type: string; gridPos: { x: number; y: number; w: number; h: number }; targets?: Target[]; fieldConfig?: { defaults?: { unit?: string; mappings?: unknown[] } } }
interface Series { label: string; points: Array<[number, number]> }
interface Drawn { title: string; type: string; grid: Panel['gridPos']; unit: string | undefined; series: Series[] }

const args = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || !process.argv[i + 1]) throw new Error(`--${name} is required`);
  return process.argv[i + 1]!;
};

const legend = (format: string | undefined, metric: Record<string, string>) =>
  format ? format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => metric[k] ?? '') : Object.entries(metric).map(([k, v]) => `${k}=${v}`).join(', ') || 'value';

async function query(prometheus: string, t: Target, instant: boolean, from: number, to: number): Promise<Series[]> {
  const expr = t.expr.replaceAll('$__rate_interval', '1m').replaceAll('$policy', '.*');
  const params = instant ? new URLSearchParams({ query: expr, time: String(to) }) : new URLSearchParams({ query: expr, start: String(from), end: String(to), step: String(Math.max(5, Math.round((to - from) / 240))) });
  const r = await fetch(`${prometheus}/api/v1/${instant ? 'query' : 'query_range'}?${params}`);
  const body = (await r.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; values?: Array<[number, string]>; value?: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result.map((s) => ({ label: legend(t.legendFormat, s.metric), points: (s.values ?? [s.value!]).map(([ts, v]) => [ts, Number(v)]) }));
}

async function drawnPanels(prometheus: string, from: number, to: number): Promise<Drawn[]> {
  const dashboard = JSON.parse(readFileSync(path.join(root, 'helm/partwarden/dashboards/partwarden.json'), 'utf8')) as { panels: Panel[] };
  const out: Drawn[] = [];
  for (const p of dashboard.panels) {
    const instant = p.type !== 'timeseries';
    const series = p.type === 'row' ? [] : (await Promise.all((p.targets ?? []).map((t) => query(prometheus, t, instant, from, to)))).flat();
    out.push({ title: p.title, type: p.type, grid: p.gridPos, unit: p.fieldConfig?.defaults?.unit, series });
  }
  return out;
}

/** The page: panels placed by gridPos (24 columns, 30 px a row), drawn in the browser by uPlot. */
function page(panels: Drawn[], from: number, to: number): string {
  const uplotJs = readFileSync(path.join(root, 'node_modules/uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(path.join(root, 'node_modules/uplot/dist/uPlot.min.css'), 'utf8');
  const range = `${new Date(from * 1000).toISOString().slice(0, 16)} - ${new Date(to * 1000).toISOString().slice(11, 16)} UTC`;
  return `<!doctype html><html><head><meta charset="utf-8"><style>${uplotCss}
body{margin:0;background:#111217;color:#ccccdc;font:13px Inter,Helvetica,Arial,sans-serif;width:1600px}
header{padding:10px 16px;font-size:18px;border-bottom:1px solid #2c2e33}header small{color:#8e8e8e;font-size:12px;margin-left:12px}
#grid{position:relative;margin:8px}.p{position:absolute;background:#181b1f;border:1px solid #2c2e33;border-radius:3px;box-sizing:border-box;overflow:hidden}
.p h3{margin:0;padding:6px 8px;font-size:13px;font-weight:500}.row{position:absolute;font-size:15px;font-weight:500;padding:6px 2px}
.stat{display:flex;flex-wrap:wrap;gap:6px;padding:4px 8px}.stat div{flex:1;min-width:90px;border-radius:3px;padding:6px;text-align:center;font-size:26px;font-weight:600}
.stat small{display:block;font-size:11px;font-weight:400}table{width:100%;border-collapse:collapse;font-size:12px}td,th{padding:4px 8px;border-bottom:1px solid #2c2e33;text-align:left}
.u-legend{font-size:11px}.none{color:#8e8e8e;padding:20px;text-align:center}</style><script>${uplotJs}</script></head>
<body><header>partwarden<small>${range} · queries from helm/partwarden/dashboards/partwarden.json against Prometheus scraping the demo (npm start)</small></header>
<div id="grid"></div><script>const panels=${JSON.stringify(panels)};${CLIENT_SCRIPT}</script></body></html>`;
}

/** Runs in the page: places each panel and draws it. */
const CLIENT_SCRIPT = String.raw`
const grid=document.getElementById('grid'),colW=1584/24,rowH=30,colors=['#73bf69','#f2cc0c','#5794f2','#ff9830','#f2495c','#b877d9','#8ab8ff','#ffb357'];
const fmt=(v,u)=>{if(v==null||isNaN(v))return '-';if(u==='s'){const a=Math.abs(v);return a>=86400?(v/86400).toFixed(1)+' d':a>=3600?(v/3600).toFixed(1)+' h':a>=60?(v/60).toFixed(1)+' min':v.toFixed(a<10?2:0)+' s'}
 if(u==='bytes'||u==='Bps'){const k=['B','KiB','MiB','GiB'];let i=0,x=Math.abs(v);while(x>=1024&&i<3){x/=1024;i++}return (v<0?'-':'')+x.toFixed(1)+' '+k[i]+(u==='Bps'?'/s':'')}
 return Math.abs(v)>=1000?v.toFixed(0):+v.toFixed(2)+''};
let maxY=0;
for(const p of panels){const g=p.grid,el=document.createElement('div');const top=g.y*rowH,left=g.x*colW,w=g.w*colW-6,h=g.h*rowH-6;maxY=Math.max(maxY,top+h);
 if(p.type==='row'){el.className='row';el.style.cssText='top:'+top+'px;left:'+left+'px';el.textContent=p.title;grid.appendChild(el);continue}
 el.className='p';el.style.cssText='top:'+top+'px;left:'+left+'px;width:'+w+'px;height:'+h+'px';el.innerHTML='<h3>'+p.title+'</h3>';grid.appendChild(el);
 if(p.series.length===0){el.insertAdjacentHTML('beforeend','<div class="none">No data</div>');continue}
 if(p.type==='stat'){const s=document.createElement('div');s.className='stat';for(const [i,x] of p.series.entries()){const v=x.points.at(-1)[1];const bad=/Databases|Lease/.test(p.title)?v<1:/Leaders/.test(p.title)?v!==1:/violating/.test(p.title)?v>0:false;
   s.insertAdjacentHTML('beforeend','<div style="background:'+(/Archived/.test(p.title)?'#1f60c4':bad?'#c4162a':'#37872d')+'">'+(/Databases/.test(p.title)?(v>=1?'up':'DOWN'):/Lease/.test(p.title)?(v>=1?'held':'nobody'):fmt(v,p.unit))+'<small>'+x.label+'</small></div>')}el.appendChild(s);continue}
 if(p.type==='table'){const rows=p.series.map(x=>'<tr><td>'+x.label+'</td><td>'+x.points.at(-1)[1]+'</td></tr>').join('');el.insertAdjacentHTML('beforeend','<table><tr><th>series</th><th>value</th></tr>'+rows+'</table>');continue}
 const xs=[...new Set(p.series.flatMap(x=>x.points.map(q=>q[0])))].sort((a,b)=>a-b);const data=[xs,...p.series.map(x=>{const m=new Map(x.points);return xs.map(t=>m.has(t)?m.get(t):null)})];
 const div=document.createElement('div');el.appendChild(div);
 new uPlot({width:w-8,height:h-64,series:[{},...p.series.map((x,i)=>({label:x.label,stroke:colors[i%colors.length],width:1.5,points:{show:false},fill:colors[i%colors.length]+'22',value:(u,v)=>fmt(v,p.unit)}))],
  axes:[{stroke:'#8e8e8e',grid:{stroke:'#2c2e33'}},{stroke:'#8e8e8e',grid:{stroke:'#2c2e33'},size:70,values:(u,vals)=>vals.map(v=>fmt(v,p.unit))}],legend:{show:true},cursor:{show:false}},data,div)}
grid.style.height=(maxY+10)+'px';`;

async function main(): Promise<void> {
  const prometheus = args('prometheus');
  const from = Number(args('from'));
  const to = Number(args('to'));
  const out = path.resolve(args('out'));
  const panels = await drawnPanels(prometheus, from, to);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const tab = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    await tab.setContent(page(panels, from, to), { waitUntil: 'load' });
    await tab.screenshot({ path: out, fullPage: true });
  } finally {
    await browser.close();
  }
  process.stdout.write(`${out}: ${panels.filter((p) => p.type !== 'row').length} panels, ${panels.reduce((n, p) => n + p.series.length, 0)} series\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`dashboard-preview: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
