export {
  type ChannelSeries,
  type NodeSeries,
  type NodeSummary,
  REPORT_SAMPLE_MS,
  RUN_REPORT_FORMAT,
  RUN_REPORT_VERSION,
  type RunReport,
  RunReportCollector,
} from "./collect.js";
export { renderRunReportHtml } from "./html.js";
export { openReport, type ReportTarget } from "./write.js";
