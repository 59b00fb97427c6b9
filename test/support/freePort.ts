/**
 * A port that was free a moment ago on 127.0.0.1 (the OS picks it; another process may take it before it is used,
 * which the servers' start-up retries cover).
 *
 * @example
 * const port = await freePort(); // e.g. 41873
 */
import * as net from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("could not get a free port"))));
    });
  });
}
