/**
 * Views of arrays on jax-js's wasm device, in its own memory, with no copy.
 *
 * The wasm device keeps every array in one WebAssembly.Memory. When it runs
 * with worker threads that memory is shared, and shared memory grows in place:
 * a live array's bytes never move. They never change either (arrays are
 * immutable, and a buffer is only reused after its last reference is
 * dropped). So a view of them stays right for as long as its holder keeps a
 * reference to the array. Unshared memory is replaced when it grows, which
 * would leave a view pointing at freed bytes: no view is made there.
 *
 * Neither the memory nor an array's place in it is public. Both come from one
 * small kernel of ours, run through the backend's kernel interface (see
 * jax-internals.ts): the backend instantiates it with its memory, which we
 * catch by wrapping WebAssembly.Instance for that one synchronous call, and
 * passes it the array's address, which it stores in a 4-byte buffer that we
 * read back. Every view is checked against bytes the backend reads itself;
 * where anything differs or fails (another jax-js build), there is no view
 * and callers copy through `data()`.
 */
import type * as jax from "@jax-js/jax";
import { internalGetBackend } from "./jax-internals.js";

/** The parts of jax-js's WasmBackend used here. */
interface WasmBackend {
  malloc(size: number): number;
  decRef(slot: number): void;
  read(slot: number, start: number, count: number): Promise<Uint8Array>;
  readSync(slot: number, start: number, count: number): Uint8Array;
  dispatch(exe: object, inputs: number[], outputs: number[]): void;
}

/**
 * (module
 *   (import "env" "memory" (memory 0 65536 shared))
 *   (func (export "kernel") (param $array i32) (param $out i32) (param $begin i32) (param $end i32)
 *     (i32.store (local.get $out) (local.get $array))))
 * Kernels get their buffers' addresses, inputs then outputs, then the range of work to do.
 */
const ADDRESS_KERNEL = new WebAssembly.Module(
  new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x08, 0x01, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x00,
    0x02, 0x12, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x03, 0x00, 0x80, 0x80, 0x04,
    0x03, 0x02, 0x01, 0x00,
    0x07, 0x0a, 0x01, 0x06, 0x6b, 0x65, 0x72, 0x6e, 0x65, 0x6c, 0x00, 0x00,
    0x0a, 0x0b, 0x01, 0x09, 0x00, 0x20, 0x01, 0x20, 0x00, 0x36, 0x02, 0x00, 0x0b,
  ]),
);
const ADDRESS_EXECUTABLE = { source: {}, data: { sync: true, program: { kernelHash: "tsnnx:address-of", module: ADDRESS_KERNEL, workSize: 1 } } };

/** Bytes compared at each end of a view before it is handed out. */
const CHECKED_BYTES = 64;

/** The device's memory once found; "unavailable" where it is unshared or cannot be found. */
let memoryFound: WebAssembly.Memory | "unavailable" | undefined;

async function wasmBackend(): Promise<WasmBackend | undefined> {
  const backend = (await internalGetBackend())?.("wasm");
  return isWasmBackend(backend) ? backend : undefined;
}

function isWasmBackend(backend: unknown): backend is WasmBackend {
  const b = backend as Partial<Record<keyof WasmBackend, unknown>> | undefined;
  return ["malloc", "decRef", "read", "readSync", "dispatch"].every((m) => typeof b?.[m as keyof WasmBackend] === "function");
}

/**
 * Runs the address kernel on `slot` and returns the address it was given;
 * `onInstance` sees the imports the backend instantiates the kernel with.
 */
function addressOf(backend: WasmBackend, slot: number, onInstance?: (imports: WebAssembly.Imports | undefined) => void): number {
  const out = backend.malloc(4);
  const Instance = WebAssembly.Instance;
  try {
    if (onInstance) {
      WebAssembly.Instance = function (module: WebAssembly.Module, imports?: WebAssembly.Imports) {
        onInstance(imports);
        return new Instance(module, imports);
      } as unknown as typeof WebAssembly.Instance;
    }
    backend.dispatch(ADDRESS_EXECUTABLE, [slot], [out]);
    const bytes = backend.readSync(out, 0, 4);
    return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  } finally {
    WebAssembly.Instance = Instance;
    backend.decRef(out);
  }
}

/** The device's memory, caught as the backend instantiates the address kernel; "unavailable" unless it is shared. */
function findMemory(backend: WasmBackend, slot: number): WebAssembly.Memory | "unavailable" {
  let memory: unknown;
  try {
    addressOf(backend, slot, (imports) => (memory = (imports?.env as Record<string, unknown> | undefined)?.memory));
  } catch {
    // Unshared memory fails to link with the kernel's shared import, after it was caught.
  }
  return memory instanceof WebAssembly.Memory && memory.buffer instanceof SharedArrayBuffer ? memory : "unavailable";
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * A view of the `byteLength` bytes of `array`, a wasm-device array, in the
 * device's memory; undefined where none can be made. The view is right only
 * while the caller holds a reference to the array.
 */
export async function borrowWasmBytes(array: jax.Array, byteLength: number): Promise<Uint8Array | undefined> {
  // Realizing a view (transposed, sliced, broadcast) schedules the kernel that writes its C-order
  // buffer; blockUntilReady then waits for it. In the other order the buffer is read unwritten.
  const slot = array._realizeSource();
  await array.blockUntilReady();
  if (memoryFound === "unavailable") return undefined;
  try {
    const backend = await wasmBackend();
    if (!backend) return undefined;
    // Waits for work still running on the device's threads (the kernel below runs on this one).
    await backend.read(slot, 0, 0);
    const memory = (memoryFound ??= findMemory(backend, slot));
    if (memory === "unavailable") return undefined;
    const address = addressOf(backend, slot);
    if (address + byteLength > memory.buffer.byteLength) return undefined;
    const view = new Uint8Array(memory.buffer, address, byteLength);
    const n = Math.min(CHECKED_BYTES, byteLength);
    const ends = [0, byteLength - n];
    if (!ends.every((start) => sameBytes(view.subarray(start, start + n), backend.readSync(slot, start, n)))) return undefined;
    return view;
  } catch {
    return undefined;
  }
}
