/**
 * Drives one kernel through a running Jupyter server with the same client
 * library JupyterLab uses (`@jupyterlab/services`), and collects what a
 * notebook would show for each request: the IOPub messages of that request and
 * its shell reply.
 */
import { KernelManager, ServerConnection, type Kernel, type KernelMessage } from "@jupyterlab/services";
import WebSocket from "ws";
import type { JupyterServer } from "./jupyter.js";

export interface KernelConnection {
  manager: KernelManager;
  kernel: Kernel.IKernelConnection;
  close(): Promise<void>;
}

export async function startKernel(server: JupyterServer, name: string): Promise<KernelConnection> {
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: server.baseUrl,
    wsUrl: server.wsUrl,
    token: server.token,
    // Node 20 has no WebSocket of its own.
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  const manager = new KernelManager({ serverSettings });
  await manager.ready;
  const kernel = await manager.startNew({ name });
  return {
    manager,
    kernel,
    async close() {
      try {
        await kernel.shutdown();
      } finally {
        kernel.dispose();
        manager.dispose();
      }
    },
  };
}

/** What one `execute_request` produced. */
export interface Execution {
  reply: KernelMessage.IExecuteReplyMsg["content"];
  iopub: KernelMessage.IIOPubMessage[];
  /** Concatenated `stream` text per stream name. */
  stdout: string;
  stderr: string;
  executeInput?: KernelMessage.IExecuteInputMsg["content"];
  executeResult?: KernelMessage.IExecuteResultMsg["content"];
  displayData: KernelMessage.IDisplayDataMsg["content"][];
  updateDisplayData: KernelMessage.IUpdateDisplayDataMsg["content"][];
  error?: KernelMessage.IErrorMsg["content"];
  /** Kernel status values seen on IOPub for this request, in order. */
  statuses: string[];
}

export async function execute(
  kernel: Kernel.IKernelConnection,
  code: string,
  options: { stopOnError?: boolean; onStarted?: () => void } = {},
): Promise<Execution> {
  const iopub: KernelMessage.IIOPubMessage[] = [];
  const future = kernel.requestExecute({ code, stop_on_error: options.stopOnError ?? true, allow_stdin: false });
  future.onIOPub = (message) => {
    iopub.push(message);
    if (message.header.msg_type === "execute_input") options.onStarted?.();
  };
  const replyMessage = (await future.done) as KernelMessage.IExecuteReplyMsg;
  return summarize(replyMessage.content, iopub);
}

function summarize(reply: KernelMessage.IExecuteReplyMsg["content"], iopub: KernelMessage.IIOPubMessage[]): Execution {
  const result: Execution = { reply, iopub, stdout: "", stderr: "", displayData: [], updateDisplayData: [], statuses: [] };
  for (const message of iopub) {
    const content = message.content as Record<string, unknown>;
    switch (message.header.msg_type) {
      case "stream":
        if (content.name === "stdout") result.stdout += content.text as string;
        else result.stderr += content.text as string;
        break;
      case "execute_input":
        result.executeInput = message.content as KernelMessage.IExecuteInputMsg["content"];
        break;
      case "execute_result":
        result.executeResult = message.content as KernelMessage.IExecuteResultMsg["content"];
        break;
      case "display_data":
        result.displayData.push(message.content as KernelMessage.IDisplayDataMsg["content"]);
        break;
      case "update_display_data":
        result.updateDisplayData.push(message.content as KernelMessage.IUpdateDisplayDataMsg["content"]);
        break;
      case "error":
        result.error = message.content as KernelMessage.IErrorMsg["content"];
        break;
      case "status":
        result.statuses.push(content.execution_state as string);
        break;
    }
  }
  return result;
}

/** Explains an execution for assertion messages. */
export function describeExecution(execution: Execution): string {
  return JSON.stringify(
    { reply: execution.reply, iopub: execution.iopub.map((m) => ({ type: m.header.msg_type, content: m.content })) },
    null,
    1,
  );
}
