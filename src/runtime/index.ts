export { initRuntime, devices } from "./device.js";
export type { AdapterReport, DeviceName, DeviceRequest, RuntimeOptions, RuntimeReport } from "./device.js";
export { pytreeNode, isPytreeNode } from "./pytree.js";
export type { PytreeNode, PytreeChildren, TreeKey, TreePath } from "./pytree.js";
export { ShapeDtypeStruct } from "./shape-dtype.js";
