/** The kernel whose stderr nobody reads any more (the process that started it closed the pipe) goes on serving. */
import assert from "node:assert/strict";
import { KernelClient, withTimeout } from "./client.js";

describe("kernel with a closed stderr", function () {
  this.timeout(60000);
  let kernel: KernelClient | undefined;
  after(async () => {
    if (kernel) await withTimeout(kernel.shutdown(), 10000, "shutdown").catch(() => undefined);
    kernel?.close();
  });

  it("drops its log quietly: no uncaught EPIPE, cells still run", async () => {
    kernel = await KernelClient.start({ entry: "real" });
    kernel.process.stderr!.destroy();
    const counting = await kernel.execute('let uncaught: string[] = [];\nprocess.on("uncaughtException", (error) => uncaught.push(String(error)));\n"counting"');
    assert.equal(counting.reply.content.status, "ok");
    // The kernel logs an unsupported request: that write meets the closed pipe.
    const { msgId } = await kernel.send("shell", "no_such_request", {});
    await kernel.outputsOf(msgId);
    const after = await kernel.execute("await new Promise((resolve) => setTimeout(resolve, 300));\nuncaught.length");
    assert.equal(after.reply.content.status, "ok", JSON.stringify(after.reply.content));
    const result = after.outputs.find((m) => m.header.msg_type === "execute_result");
    assert.equal((result?.content.data as Record<string, string>)["text/plain"], "0");
  });
});
