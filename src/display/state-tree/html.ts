/**
 * The state tree as HTML that works without any script: nested
 * `<details>`/`<summary>` lists (collapsible in an untrusted notebook, where
 * JupyterLab strips scripts, `<style>` and `<svg>` but keeps these), colours
 * and layout from one `<style>` block scoped to the output's class (lost when
 * untrusted, which leaves a plain indented list), mini-charts as `<img>`
 * data URIs (kept when untrusted, see mini-chart.ts).
 *
 * Small by construction: per-leaf markup is short tags (`<dfn>` key, `<var>`
 * kind, `<i>` stats, `<small>` counts) with no per-node attributes and no
 * `</li>` (HTML implies it, and sanitisers' parsers know); copy-path is ONE click
 * handler on the root that rebuilds the path from the keys of the enclosing
 * list items. Above `maxNodes` rendered rows, the remaining siblings of a
 * node are summarised on one line (how many, of which types, their counts and
 * bytes), and below the first levels nodes start collapsed.
 */
import type { TreeKey } from "../../runtime/pytree.js";
import { formatCount, pathText, restText, shapeText, statsText, totalsText } from "./format.js";
import { miniChart } from "./mini-chart.js";
import type { ArrayInfo, TreeNode } from "./model.js";
import type { LeafStats } from "./stats.js";

export interface HtmlOptions {
  /** The rows rendered in full (model.ts's rowsWithin); later siblings are summarised on one line. */
  shown: Set<TreeNode>;
  /** Array leaves that get a mini-chart (the first ones met). */
  maxCharts: number;
  /** Levels open at first (0: only the root). */
  openDepth: number;
}

/** For attribute values: every character that could end one or start markup. */
export function escapeAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** For text between tags, where quotes are harmless: `&`, `<`, `>` only (shorter output). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]!);
}

const MODULE_COLOURS = ["#e8c5e5", "#9fd9e8", "#b9e0a5", "#f7d794", "#c9c3f0", "#f5b7a8", "#a8e6cf", "#dcd3b2"];
const KIND_COLOURS = ["#0b6e99", "#b8650b", "#6a3fb5", "#2e7d32", "#ad1457", "#5d4037", "#00838f", "#827717"];

/** Rebuilds the clicked key's path from the enclosing rows: `.layers[0].kernel`, or `.at("a", 0)` inside a State. */
const COPY_PATH =
  "var t=event.target;if(t.tagName!=='DFN')return;event.preventDefault();var k=[],li=t.closest('li');" +
  "while(li&&this.contains(li)){k.unshift([li.querySelector('dfn').textContent,li.parentNode.classList.contains('l')]);li=li.parentNode.closest('li')}" +
  "var s=this.dataset.s?'.at('+k.map(function(x){return x[1]?x[0]:JSON.stringify(x[0])}).join(', ')+')':k.map(function(x){return x[1]?'['+x[0]+']':/^[A-Za-z_$][\\w$]*$/.test(x[0])?'.'+x[0]:'['+JSON.stringify(x[0])+']'}).join('');" +
  "navigator.clipboard&&navigator.clipboard.writeText(s);t.title='copied '+s";

const STYLE = (modules: string[], kinds: string[]): string =>
  "<style>" +
  ".tsnnx-st{font:12px/1.55 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#222}" +
  ".tsnnx-st ul{list-style:none;margin:0;padding:0 0 0 .5em;border-left:1px solid #ddd}" +
  ".tsnnx-st li{margin-left:1.2em;white-space:nowrap}" +
  ".tsnnx-st summary{margin-left:-1.2em;cursor:pointer}" +
  ".tsnnx-st>details,.tsnnx-st>ul{margin-left:1.2em}" +
  ".tsnnx-st summary::marker{color:#999}" +
  ".tsnnx-st dfn{font-style:normal;cursor:copy}" +
  ".tsnnx-st dfn:hover{text-decoration:underline dotted}" +
  ".tsnnx-st b{font-weight:normal;padding:0 4px;border-radius:3px;background:#eee}" +
  ".tsnnx-st var{font-style:normal;font-weight:600}" +
  ".tsnnx-st small{font-size:inherit;color:#8a8a8a}" +
  ".tsnnx-st i{font-style:normal;color:#7a4f00}" +
  ".tsnnx-st .a{color:#777}" +
  ".tsnnx-st .x{color:#a00}" +
  ".tsnnx-st img{vertical-align:middle;margin-left:6px;border:1px solid #ddd}" +
  modules.map((_, i) => `.tsnnx-st .m${i}{background:${MODULE_COLOURS[i % MODULE_COLOURS.length]}}`).join("") +
  kinds.map((_, i) => `.tsnnx-st .v${i}{color:${KIND_COLOURS[i % KIND_COLOURS.length]}}`).join("") +
  "</style>";

export function renderHtml(root: TreeNode, stats: Map<TreeNode, LeafStats>, options: HtmlOptions): string {
  const moduleClass = new Map<string, number>();
  const kindClass = new Map<string, number>();
  const classOf = (map: Map<string, number>, name: string): number => {
    let i = map.get(name);
    if (i === undefined) map.set(name, (i = map.size));
    return i;
  };
  const devices = new Set<string>();
  const collectDevices = (node: TreeNode): void => {
    if (node.kind === "node") node.children.forEach(collectDevices);
    const info = node.kind === "variable" || node.kind === "array" ? node.array : null;
    if (info?.state === "concrete") devices.add(info.device);
  };
  collectDevices(root);
  const oneDevice = devices.size === 1 ? [...devices][0]! : null;
  let charts = 0;

  const key = (k: TreeKey | null): string => (k === null ? "" : `<dfn>${escapeHtml(String(k))}</dfn>: `);
  const arrayText = (node: TreeNode, info: ArrayInfo | null): string => {
    if (!info) return "";
    let out = ` ${escapeHtml(shapeText(info))}`;
    if (info.state === "concrete" && info.device !== oneDevice) out += ` <small>on ${escapeHtml(info.device)}</small>`;
    if (info.state === "abstract") out += ` <small>abstract ${escapeHtml(totalsText(node.kind === "variable" || node.kind === "array" ? node.totals : new Map(), true))}</small>`;
    if (info.state === "disposed") return out + " <span class=x>disposed</span>";
    const s = stats.get(node);
    if (s) {
      out += ` <i>${escapeHtml(statsText(s))}</i>`;
      if (s.kind === "computed" && charts < options.maxCharts) {
        const chart = miniChart(s.values, info.shape, s.read === s.size);
        if (chart) {
          charts++;
          out += chart;
        }
      }
    }
    return out;
  };

  const render = (node: TreeNode, depth: number): string => {
    switch (node.kind) {
      case "variable": {
        const other = node.other === null ? "" : ` <span class=a>${escapeHtml(node.other)}</span>`;
        return `<li>${key(node.key)}<var class=v${classOf(kindClass, node.variableType)}>${escapeHtml(node.variableType)}</var>${arrayText(node, node.array)}${other}`;
      }
      case "array":
        return `<li>${key(node.key)}<var>Array</var>${arrayText(node, node.array)}`;
      case "slot":
        return `<li>${key(node.key)}${node.variableType === null ? "<var>Array</var>" : `<var class=v${classOf(kindClass, node.variableType)}>${escapeHtml(node.variableType)}</var>`} <small>value in the State</small>`;
      case "shared":
        return `<li>${key(node.key)}${node.typeName ? `<b>${escapeHtml(node.typeName)}</b> ` : ""}<small>shared: same as ${escapeHtml(pathText(node.firstPath))}</small>`;
      case "static":
        return `<li>${key(node.key)}<span class=a>${escapeHtml(node.text)}</span>`;
      case "node":
        return renderNode(node, depth);
    }
  };

  // A module's static attributes are written out once per class and text; the same again (500 identical Linears) is a ditto mark and the first path.
  const staticsSeen = new Map<string, string>();
  const staticsLine = (node: Extract<TreeNode, { kind: "node" }>, statics: TreeNode[]): string => {
    const text = statics.map((s) => `${String(s.key)}=${s.kind === "static" ? s.text : ""}`).join(", ");
    const id = `${node.typeName}\u0000${text}`;
    const first = staticsSeen.get(id);
    if (first !== undefined) return `〃 ${first}`;
    staticsSeen.set(id, pathText(node.path));
    return text;
  };
  const renderNode = (node: Extract<TreeNode, { kind: "node" }>, depth: number): string => {
    const statics = node.children.filter((c) => c.kind === "static");
    const data = node.children.filter((c) => c.kind !== "static");
    const colour = node.container === "module" || node.container === "pytree" || node.container === "graphdef" ? ` class=m${classOf(moduleClass, node.typeName)}` : "";
    const counts = node.totals.size > 0 ? ` <small>${escapeHtml(totalsText(node.totals))}</small>` : "";
    const where = depth === 0 && oneDevice ? ` <small>on ${escapeHtml(oneDevice)}</small>` : "";
    const size = node.container === "list" || node.container === "dict" || node.container === "state" ? ` <small>(${formatCount(node.children.length)})</small>` : "";
    const summary = `<summary>${key(node.key)}<b${colour}>${escapeHtml(node.typeName)}</b>${size}${counts}${where}</summary>`;
    let body = "";
    const rest = data.filter((c) => !options.shown.has(c));
    for (const child of data) if (options.shown.has(child)) body += render(child, depth + 1);
    if (rest.length > 0) body += `<li class=a>${escapeHtml(restText(rest))}`;
    if (statics.length > 0) body += `<li class=a>${escapeHtml(staticsLine(node, statics))}`;
    const list = node.container === "list" ? "<ul class=l>" : "<ul>";
    const open = depth < options.openDepth ? " open" : "";
    const details = `<details${open}>${summary}${list}${body}</ul></details>`;
    return depth === 0 ? details : `<li>${details}`;
  };

  const tree = root.kind === "node" ? renderNode(root, 0) : `<ul>${render(root, 0)}</ul>`;
  const stateAttr = root.kind === "node" && root.container === "state" ? " data-s=1" : "";
  return `<div class=tsnnx-st${stateAttr} onclick="${escapeAttribute(COPY_PATH)}">${STYLE([...moduleClass.keys()], [...kindClass.keys()])}${tree}</div>`;
}
