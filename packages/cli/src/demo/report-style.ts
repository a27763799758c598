/** The report's inline stylesheet: dark text on white, system fonts only (no external fonts or URLs). */
export const REPORT_CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1a1a1a; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 6px; padding-top: 8px; border-top: 1px solid #ddd; }
p.meta { margin: 0; color: #444; }
p.note { margin: 0 0 10px; color: #555; font-size: 13px; }
p.empty { color: #8a1c1c; font-style: italic; }
figure { margin: 0; }
svg.chart { display: block; background: #fff; overflow: visible; font-size: 12px; }
svg text { fill: #222; }
.grid { stroke: #e6e6e6; stroke-width: 1; }
.axis, .tick-mark { stroke: #555; stroke-width: 1; }
.tick { fill: #444; font-size: 11px; }
.tick.small { font-size: 10px; }
.axis-title { fill: #333; font-size: 12px; font-weight: 600; }
.panel-title { font-size: 12px; font-weight: 700; }
.panel-sub { fill: #444; font-size: 11px; }
.seed-only line { stroke: #777; stroke-width: 1.2; stroke-dasharray: 4 4; }
.seed-only text { fill: #555; font-size: 11px; }
.threshold { stroke: #555; stroke-width: 1; stroke-dasharray: 3 3; }
.mean-line { stroke: #111; stroke-width: 1.5; }
.lineage { stroke: #9a9a9a; stroke-width: 1.2; }
.champion-ring { fill: none; stroke: #1a1a1a; stroke-width: 1.5; }
.marker-label { font-size: 11.5px; font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.legend text { font-size: 12px; }
table { border-collapse: collapse; margin: 10px 0 4px; font-size: 13px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e3e3e3; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #bbb; background: #f6f6f6; white-space: nowrap; }
tbody th { font-weight: 600; color: #333; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.strong { font-weight: 700; }
td.mono { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; white-space: nowrap; }
tr.decision-promoted td.decision { color: #1b8a3a; font-weight: 600; }
tr.decision-rejected td.decision, tr.decision-rolled-back td.decision { color: #c62828; font-weight: 600; }
tr.decision-initial td.decision { color: #0a5fa8; font-weight: 600; }
.two-col { display: flex; gap: 28px; flex-wrap: wrap; align-items: flex-start; }
`;
