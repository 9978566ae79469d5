// The flow view: an SVG picture of a flow laid out by elkjs, and self-contained HTML pages
// around it (`flowc graph --format html`; a run report reuses the same pieces). API and why
// elkjs: packages/cli/README.md, "The flow view".
export { GRAPH_CSS, GRAPH_SCRIPT, PAGE_CSS } from "./assets.js";
export {
  type Box,
  cycleChannels,
  DEFAULT_ELK_OPTIONS,
  type EdgeLayout,
  type FlowLayout,
  type GroupLayout,
  LayoutError,
  type LayoutOptionsInput,
  layoutFlow,
  type NodeLayout,
  type Point,
  type PortLayout,
} from "./layout.js";
export {
  type FlowPageOptions,
  type GraphData,
  graphData,
  type HtmlDocumentParts,
  htmlDocument,
  type NodeData,
  PAGE_CSP,
  renderFlowPage,
  renderGraphView,
} from "./page.js";
export { type GraphViewOptions, NODE_STATUSES, type NodeStatus, renderGraphSvg } from "./svg.js";
export { adapterLabel, channelLabel, clockLabel, escapeXml as escapeHtml, jsonForScript } from "./text.js";
