import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { connect, describeDatabase } from "../lib/db/connect";
import { ensureEmbeddedDatabase } from "../lib/db/embeddedSeed";
import { InputError } from "../lib/core/errors";
import type { DatabaseConfig } from "../lib/shapes/types";
import { testConfig } from "./support/databases";
import { sharedPostgres } from "./support/postgres";

const ENV = "MLBOX_CONNECT_TEST_URL";

/** Asserts an InputError whose one-line message contains every `parts` and none of `secrets`. */
async function rejectsInput(promise: Promise<unknown>, parts: readonly string[], secrets: readonly string[]): Promise<string> {
  let message = "";
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    message = error.message;
    for (const part of parts) assert.ok(message.includes(part), `"${message}" should contain "${part}"`);
    for (const secret of secrets) assert.ok(!message.includes(secret), `"${message}" leaks a password`);
    assert.ok(!message.includes("\n"));
    return true;
  });
  return message;
}

function withUrl(url: string | undefined): DatabaseConfig {
  if (url === undefined) delete process.env[ENV];
  else process.env[ENV] = url;
  return testConfig({ url_env: ENV }).database;
}

/** A TCP port on 127.0.0.1 that nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

describe("describeDatabase", () => {
  test("the URL without password, or the embedded folder", () => {
    assert.equal(describeDatabase(withUrl("postgresql://ml:hunter2@db.local/plant")), "postgresql://ml@db.local/plant");
    assert.equal(describeDatabase(withUrl("host=db user=u password=hunter2")), "an unparsable URL of 31 characters");
    assert.equal(describeDatabase(withUrl("postgresql://u:pa?ss@h/db")), "an unparsable URL of 25 characters");
    assert.equal(describeDatabase({ ...withUrl(undefined), embedded_dir: "/data/pg" }), "embedded PGlite at /data/pg");
    assert.equal(describeDatabase({ ...withUrl("  "), embedded_dir: "/data/pg" }), "embedded PGlite at /data/pg");
  });
});

describe("connect to PostgreSQL", () => {
  let url: URL;
  let password: string;
  before(async () => {
    const server = await sharedPostgres();
    url = new URL(server.url);
    password = decodeURIComponent(url.password);
  });
  after(() => {
    delete process.env[ENV];
  });

  test("every session runs in UTC although the server default is not", async () => {
    const db = await connect(withUrl(url.href));
    try {
      const zones = await Promise.all(
        Array.from({ length: 4 }, () =>
          db.connection().execute(async (conn) => {
            const { rows } = await sql<{ tz: string; pid: number }>`select current_setting('TimeZone') as tz, pg_backend_pid() as pid, pg_sleep(0.05)`.execute(conn);
            return rows[0];
          }),
        ),
      );
      assert.ok(new Set(zones.map((z) => z.pid)).size > 1, "several pooled connections");
      for (const zone of zones) assert.equal(zone.tz, "UTC");
      const { rows: server } = await sql<{ boot: string }>`select reset_val as boot from pg_settings where name = 'TimeZone'`.execute(db);
      assert.equal(server[0].boot, "Europe/Berlin", "the test server's default zone is not UTC");
    } finally {
      await db.destroy();
    }
  });

  test("postgres://, postgresql:// and SQLAlchemy postgresql+psycopg2:// URLs", async () => {
    for (const scheme of ["postgres", "postgresql", "postgresql+psycopg2"]) {
      const db = await connect(withUrl(`${scheme}://${url.href.slice("postgresql://".length)}`));
      try {
        const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
        assert.equal(rows[0].one, 1);
      } finally {
        await db.destroy();
      }
    }
  });

  test("unreachable server: host:port and the variable, at once", async () => {
    const port = await closedPort();
    // "At once": the message says connection refused, not a timeout (no wall-clock bound: a loaded machine is slow).
    await rejectsInput(
      connect(withUrl(`postgresql://mlbox:${password}@127.0.0.1:${port}/postgres`)),
      [`cannot reach the database at 127.0.0.1:${port} (connection refused): check ${ENV}`],
      [password],
    );
  });

  test("bad password names user and host, never a password", async () => {
    const wrong = "Wr0ng-Pa55word";
    await rejectsInput(
      connect(withUrl(`postgresql://mlbox:${wrong}@${url.host}/postgres`)),
      ['password authentication failed for user "mlbox"', `at ${url.host}`, ENV],
      [wrong, password],
    );
    await rejectsInput(connect(withUrl(`postgresql://nobody:${wrong}@${url.host}/postgres`)), ['user "nobody"'], [wrong, password]);
  });

  test("missing database is named", async () => {
    await rejectsInput(connect(withUrl(`postgresql://mlbox:${encodeURIComponent(password)}@${url.host}/no_such_db`)), ['database "no_such_db" does not exist', url.host], [password]);
  });

  test("unsupported scheme and malformed URLs", async () => {
    await rejectsInput(connect(withUrl("mysql://root:hunter2@localhost/db")), ['unsupported database URL scheme "mysql"', ENV], ["hunter2"]);
    await rejectsInput(connect(withUrl("sqlite:///tmp/x.db")), ['scheme "sqlite"'], []);
    await rejectsInput(connect(withUrl("postgresql://u:hunter2@[::1/db")), [ENV, "not a valid database URL"], ["hunter2"]);
    await rejectsInput(connect(withUrl("localhost:5432")), [ENV, "not a valid database URL", "an unparsable URL of 14 characters"], ["localhost"]);
  });

  test("key=value strings and passwords holding ? # / are rejected without echoing them", async () => {
    const cases: readonly [string, string][] = [
      [`host=${url.hostname} port=${url.port} user=mlbox password=hunter2`, "hunter2"],
      [`postgresql://mlbox:pa?ss@${url.host}/postgres`, "pa?ss"],
      [`postgresql://mlbox:pa#ss@${url.host}/postgres`, "pa#ss"],
      [`postgresql://mlbox:12?ss@${url.host}/postgres`, "12"],
      [`postgresql://mlbox:12/ss@${url.host}/postgres`, "12"],
    ];
    for (const [value, secret] of cases) {
      await rejectsInput(connect(withUrl(value)), [`the value of ${ENV} is not a valid database URL (an unparsable URL of ${value.length} characters)`, "postgresql://"], [secret, password]);
    }
  });
});

describe("connect to the embedded database", () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "mlbox-embedded-"));
  });
  after(() => {
    delete process.env[ENV];
    fs.rmSync(root, { recursive: true, force: true });
  });

  test("unset URL: created with the demo tables on first use, reused afterwards", async () => {
    const dir = path.join(root, "nested", "pgdata");
    const config = { ...withUrl(undefined), embedded_dir: dir };
    assert.equal(describeDatabase(config), `embedded PGlite at ${dir}`);
    const db = await connect(config);
    try {
      const { rows } = await sql<{ w: number | string; l: number | string; tz: string }>`
        select (select count(*) from stream_samples_wide) as w, (select count(*) from stream_samples) as l,
               current_setting('TimeZone') as tz`.execute(db);
      assert.equal(Number(rows[0].w), 40_000);
      assert.equal(Number(rows[0].l), 320_000);
      assert.equal(rows[0].tz, "UTC");
      await sql`create table marker (x int)`.execute(db);
      await sql`insert into marker values (42)`.execute(db);
    } finally {
      await db.destroy();
    }
    assert.deepEqual(fs.readdirSync(path.dirname(dir)), ["pgdata"], "no temp folders or locks left");
    const again = await connect(config);
    try {
      const { rows } = await sql<{ x: number }>`select x from marker`.execute(again);
      assert.deepEqual(rows, [{ x: 42 }], "opened, not re-seeded");
    } finally {
      await again.destroy();
    }
  });

  test("connections of one process share the folder; another live process is locked out", async () => {
    const dir = path.join(root, "shared");
    await ensureEmbeddedDatabase(dir, async (db) => {
      await sql`create table t (x int)`.execute(db);
    });
    const config = { ...withUrl(undefined), embedded_dir: dir };
    const first = await connect(config);
    const second = await connect(config); // e.g. a re-run notebook cell
    await sql`insert into t values (1)`.execute(first);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from t`.execute(second);
    assert.equal(rows[0].n, 1, "the same database");
    assert.ok(fs.statSync(`${dir}.lock`).isDirectory(), "proper-lockfile's lock folder");
    await first.destroy();
    const { rows: still } = await sql<{ n: number }>`select count(*)::int as n from t`.execute(second);
    assert.equal(still[0].n, 1, "the other connection keeps working");
    await second.destroy();
    assert.equal(fs.existsSync(`${dir}.lock`), false, "lock released with the last connection");

    fs.mkdirSync(`${dir}.lock`); // a fresh lock: another process holds it
    fs.writeFileSync(path.join(`${dir}.lock`, "exclusive"), "12345");
    await rejectsInput(connect(config), [`the embedded database at ${dir} is in use by another ML Box process`, ENV], []);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(`${dir}.lock`, old, old); // not refreshed for a minute: its process died
    const third = await connect(config);
    await third.destroy();
    assert.equal(fs.existsSync(`${dir}.lock`), false);
  });

  test("concurrent first use: exactly one seeding wins, nothing half-made remains", async () => {
    const dir = path.join(root, "race");
    let seeds = 0;
    const seed = async (db: Parameters<Parameters<typeof ensureEmbeddedDatabase>[1]>[0]): Promise<void> => {
      seeds++;
      await sql`create table t (x int)`.execute(db);
      await sql`insert into t values (1)`.execute(db);
    };
    const created = await Promise.all([ensureEmbeddedDatabase(dir, seed), ensureEmbeddedDatabase(dir, seed)]);
    assert.equal(seeds, 2);
    assert.deepEqual([...created].sort(), [false, true]);
    assert.ok(fs.existsSync(path.join(dir, "PG_VERSION")));
    assert.deepEqual(fs.readdirSync(root).filter((name) => name.startsWith("race")), ["race"]);
    assert.equal(await ensureEmbeddedDatabase(dir, seed), false);
    assert.equal(seeds, 2, "an existing database is not seeded again");
  });

  test("a folder that is not a PGlite database is an InputError naming the key", async () => {
    const dir = path.join(root, "not-a-db");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "notes.txt"), "hello");
    await rejectsInput(connect({ ...withUrl(""), embedded_dir: dir }), ["database.embedded_dir", dir], []);
  });
});
