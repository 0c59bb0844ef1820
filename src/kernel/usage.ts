/**
 * usage_request (answered on control, as ipykernel does for jupyter-resource-usage):
 * the kernel's CPU share and memory, and the host's. CPU percentages cover the
 * time since the previous request (since start-up for the first).
 */
import os from "node:os";

export type UsageSampler = () => Record<string, unknown>;

function hostCpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

export function createUsageSampler(): UsageSampler {
  let lastCpu = process.cpuUsage();
  let lastTime = process.hrtime.bigint();
  let lastHost = hostCpuTimes();
  return () => {
    const now = process.hrtime.bigint();
    const elapsedUs = Number(now - lastTime) / 1000;
    const cpu = process.cpuUsage(lastCpu);
    const host = hostCpuTimes();
    const hostTotal = host.total - lastHost.total;
    const usage = {
      hostname: os.hostname(),
      pid: process.pid,
      // Percent of one core, as psutil's Process.cpu_percent.
      kernel_cpu: elapsedUs > 0 ? (100 * (cpu.user + cpu.system)) / elapsedUs : 0,
      kernel_memory: process.memoryUsage.rss(),
      host_cpu_percent: hostTotal > 0 ? 100 * (1 - (host.idle - lastHost.idle) / hostTotal) : 0,
      cpu_count: os.availableParallelism(),
      host_virtual_memory: { total: os.totalmem(), available: os.freemem(), free: os.freemem() },
    };
    lastCpu = process.cpuUsage();
    lastTime = now;
    lastHost = host;
    return usage;
  };
}
