/**
 * The embedded database's lock across real processes (lib/embedded.ts,
 * proper-lockfile): exactly one opener wins, whatever lies at the lock path;
 * a fresh lock is never taken over, whatever it holds; a dead holder's lock
 * is taken over once stale.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { sql } from "kysely";
import { openEmbeddedDatabase } from "../lib/db/embedded";
import { ensureEmbeddedDatabase } from "../lib/db/embeddedSeed";
import { InputError } from "../lib/core/errors";

const TSX = pathToFileURL(require.resolve("tsx")).href;
const CHILD = path.join(__dirname, "support", "lockChild.ts");

let root: string;
let dir: string;
let lock: string;

/** A running lockChild.ts and the lines it printed so far. */
interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  readonly lines: string[];
  /** Resolves with the first printed line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<string>;
}

function startChild(): Child {
  const child = spawn(process.execPath, ["--import", TSX, CHILD, dir], { stdio: ["pipe", "pipe", "pipe"] });
  const lines: string[] = [];
  let stderr = "";
  let waiters: (() => void)[] = [];
  let buffered = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    lines.push(...parts);
    for (const wake of waiters) wake();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const waitFor = (pattern: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const line = lines.find((l) => pattern.test(l));
        if (line !== undefined) resolve(line);
        return line !== undefined;
      };
      if (check()) return;
      waiters.push(check);
      child.once("exit", (code) => {
        waiters = waiters.filter((w) => w !== check);
        if (!check()) reject(new Error(`child exited (${code}) before printing ${pattern}: ${lines.join(" | ")} ${stderr}`));
      });
    });
  return { process: child, lines, waitFor };
}

function exited(child: Child): Promise<void> {
  return child.process.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.process.once("exit", () => resolve()));
}

/** Starts `count` children, lets them open at once, and returns what each printed. */
async function race(count: number): Promise<string[]> {
  const children = Array.from({ length: count }, startChild);
  try {
    await Promise.all(children.map((c) => c.waitFor(/^ready$/)));
    for (const child of children) child.process.stdin.write("go\n");
    const results = await Promise.all(children.map((c) => c.waitFor(/^(won|lost: .*)$/)));
    for (const child of children) child.process.stdin.end();
    await Promise.all(children.map(exited));
    return results;
  } finally {
    for (const child of children) if (child.process.exitCode === null) child.process.kill("SIGKILL");
  }
}

function backdate(file: string, seconds: number): void {
  const then = new Date(Date.now() - seconds * 1000);
  fs.utimesSync(file, then, then);
}

async function opensInProcess(): Promise<void> {
  const db = await openEmbeddedDatabase(dir);
  try {
    await sql`select 1`.execute(db);
  } finally {
    await db.destroy();
  }
}

async function refusedInProcess(): Promise<void> {
  await assert.rejects(opensInProcess(), (error: unknown) => {
    assert.ok(error instanceof InputError, String(error));
    assert.match(error.message, new RegExp(`the embedded database at ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is in use by another ML Box process`));
    assert.ok(!error.message.includes("\n"));
    return true;
  });
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mlbox-lock-"));
  dir = path.join(root, "pglite");
  lock = `${dir}.lock`;
  await ensureEmbeddedDatabase(dir, async (db) => {
    await sql`create table t (x int)`.execute(db);
  });
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe("the embedded database lock across processes", () => {
  const rounds: readonly [string, () => void][] = [
    ["no lock", () => undefined],
    ["a stale lock whose holder died", () => {
      fs.mkdirSync(lock);
      backdate(lock, 60);
    }],
    ["a stale garbage lock file (e.g. an older ML Box's pid file)", () => {
      fs.writeFileSync(lock, "not a pid\n\u0000\u0001");
      backdate(lock, 60);
    }],
  ];
  for (const [what, prepare] of rounds) {
    test(`three concurrent openers, ${what}: exactly one wins, the others are told why`, async () => {
      prepare();
      const results = await race(3);
      assert.equal(results.filter((r) => r === "won").length, 1, results.join(" | "));
      for (const result of results.filter((r) => r !== "won")) {
        assert.match(result, /^lost: the embedded database at .* is in use by another ML Box process .*set DB_URL to a PostgreSQL server/);
      }
      assert.deepEqual(fs.readdirSync(root).sort(), ["pglite"], "lock released, no breaker left");
    });
  }

  test("an empty lock file: not taken over while fresh (its process may be writing it), taken over once stale", async () => {
    fs.writeFileSync(lock, "");
    await refusedInProcess();
    backdate(lock, 60);
    await opensInProcess();
    assert.equal(fs.existsSync(lock), false);
  });

  test("a fresh lock naming our own pid (a process in another container) is not taken over", async () => {
    fs.writeFileSync(lock, String(process.pid));
    try {
      await refusedInProcess();
    } finally {
      fs.rmSync(lock, { force: true });
    }
  });

  test("a stale lock is removed only by whoever holds <lock>.break, so two openers cannot both remove it", async () => {
    fs.mkdirSync(lock);
    backdate(lock, 60);
    fs.mkdirSync(`${lock}.break`); // another process is deciding about the stale lock right now
    await refusedInProcess();
    assert.ok(fs.existsSync(lock), "left to the process deciding");
    backdate(`${lock}.break`, 60); // that process died while deciding
    await opensInProcess();
    assert.deepEqual(fs.readdirSync(root).sort(), ["pglite"]);
  });

  test("a holder between making the lock folder and marking it (or unmarking and removing it) is waited for, not refused", async () => {
    // A brief holder (a `score --follow` poll) marks its folder a few file-system calls after making it:
    // before, an opener arriving in between took it for an exclusive holder and failed at once.
    fs.mkdirSync(lock);
    const opening = opensInProcess();
    await new Promise((resolve) => setTimeout(resolve, 300));
    fs.writeFileSync(path.join(lock, "brief"), "12345");
    await new Promise((resolve) => setTimeout(resolve, 700));
    fs.rmSync(path.join(lock, "brief")); // releasing: unmarked again, then gone
    await new Promise((resolve) => setTimeout(resolve, 300));
    fs.rmdirSync(lock);
    await opening;
    assert.equal(fs.existsSync(lock), false);
  });

  test("an unmarked lock folder nobody refreshes (its holder killed while releasing) is waited for until stale, then taken over", async () => {
    // A follower killed between removing its marker and its folder left this; before, openers waited 3 s and refused
    // it although it went stale 10 s after its last refresh.
    fs.mkdirSync(lock);
    backdate(lock, 5); // stale in 5 s: after the 3 s an opener waits for a holder taking or releasing the lock
    await opensInProcess();
    assert.equal(fs.existsSync(lock), false);
  });

  test("an unmarked lock folder that is kept fresh (an older ML Box holding it) is refused", async () => {
    fs.mkdirSync(lock);
    const refresh = setInterval(() => backdate(lock, 0), 500);
    try {
      await refusedInProcess();
      assert.ok(fs.existsSync(lock), "left to its holder");
    } finally {
      clearInterval(refresh);
      fs.rmSync(lock, { recursive: true, force: true });
    }
  });

  test("destroying an instance that ran no query releases the folder", async () => {
    const unused = await openEmbeddedDatabase(dir);
    assert.ok(fs.existsSync(lock));
    await unused.destroy();
    assert.equal(fs.existsSync(lock), false, "Kysely ends its pool only after a query: the open runs one");
  });

  test("a holder killed with SIGKILL: its lock holds until stale, then is taken over", async () => {
    const holder = startChild();
    await holder.waitFor(/^ready$/);
    holder.process.stdin.write("go\n");
    assert.equal(await holder.waitFor(/^(won|lost: .*)$/), "won");
    holder.process.kill("SIGKILL");
    await exited(holder);
    assert.ok(fs.statSync(lock).isDirectory(), "a killed holder leaves its lock behind");
    await refusedInProcess(); // refreshed moments ago: as far as anyone can tell, its holder may be alive
    backdate(lock, 11); // what 11 s without refresh look like
    await opensInProcess();
    assert.equal(fs.existsSync(lock), false);
    const data = await openEmbeddedDatabase(dir);
    try {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from t`.execute(data);
      assert.equal(rows[0].n, 0, "the database is intact");
    } finally {
      await data.destroy();
    }
  });
});
