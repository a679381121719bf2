/**
 * Hashing with node:crypto, shared by the schemes that hash per request
 * (SigV4, Digest): the one-shot `crypto.hash` (Node 20.12+) skips a Hash
 * object per call, about a third of the cost for short texts; older Nodes
 * get `createHash`.
 */
import * as crypto from "node:crypto"

const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: string) => unknown }).hash

/**
 * The digest of `data` as text: `"hex"`, or `"latin1"` (one character a
 * byte, to write back into a Buffer: asking for a Buffer costs four times
 * as much).
 */
export const hashText: (algorithm: string, data: string | Uint8Array, encoding: "hex" | "latin1") => string =
  oneShot === undefined
    ? (algorithm, data, encoding) =>
        crypto
          .createHash(algorithm)
          .update(data)
          .digest(encoding === "hex" ? "hex" : "binary")
    : (algorithm, data, encoding) => oneShot(algorithm, data, encoding) as string

/** The digest of `data` in lower-case hex. */
export const hashHex = (algorithm: string, data: string | Uint8Array): string => hashText(algorithm, data, "hex")
