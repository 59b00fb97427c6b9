/**
 * The one password redactor (lib/redact.ts): URLs lose their password, and
 * anything that is not a clean URL is never echoed.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { redactDatabase, redactDatabaseUrl, scrubSecrets } from "../lib/core/redact";

describe("redactDatabaseUrl", () => {
  test("drops the password of a URL, keeps everything else", () => {
    const cases: readonly [string, string][] = [
      ["postgresql://mlbox:s3cret@db:5432/plant", "postgresql://mlbox@db:5432/plant"],
      ["postgresql+psycopg2://u:p%40ss@h/db?sslmode=require", "postgresql+psycopg2://u@h/db?sslmode=require"],
      ["postgresql://u:p@ss@h/db", "postgresql://u@h/db"],
      ["postgres://u@h/db", "postgres://u@h/db"],
      ["postgres://h/db", "postgres://h/db"],
      ["postgres://h/db?sslmode=require&password=x1", "postgres://h/db?sslmode=require"],
      ["postgres://h/db?password=x1&sslmode=require", "postgres://h/db?sslmode=require"],
      ["postgres://h/db?password=x1", "postgres://h/db"],
      ["postgres://u:p%40ss@h/db?password=q&sslpassword=k&sslmode=require", "postgres://u@h/db?sslmode=require"],
      ["postgres://[::1]:5432/db", "postgres://[::1]:5432/db"],
      ["postgresql:///db?host=/var/run/postgresql", "postgresql:///db?host=/var/run/postgresql"],
      ["mysql://root:hunter2@localhost/db", "mysql://root@localhost/db"],
    ];
    for (const [input, expected] of cases) assert.equal(redactDatabaseUrl(input), expected, input);
  });

  test("never echoes what does not parse: key=value strings, ? # / in passwords, tokens", () => {
    const cases: readonly [string, string][] = [
      ["host=db user=u password=hunter2", "hunter2"],
      ["host=db password='se cret' dbname=x", "se cret"],
      ["postgresql://u:pa?ss@h/db", "pa?ss"],
      ["postgresql://u:pa#ss@h/db", "pa#ss"],
      ["postgresql://u:12?ss@h/db", "12?ss"], // parses as host u, port 12: ambiguous, so not shown
      ["postgresql://u:12/ss@h/db", "12/ss"],
      ["postgresql://u:12#ss@h/db", "12#ss"],
      ["ghp_0123456789abcdefGHIJKLMNOPqrstuvwxyz", "ghp_0123456789"],
      ["not a url u:pw1@host", "pw1"],
      ["postgres://h1:5432,h2:5433/db", "h1:5432"],
    ];
    for (const [input, secret] of cases) {
      const shown = redactDatabaseUrl(input);
      assert.equal(shown, `an unparsable URL of ${input.length} characters`, input);
      assert.ok(!shown.includes(secret));
    }
  });
});

describe("redactDatabase", () => {
  test("keeps the embedded description, redacts everything else", () => {
    assert.equal(redactDatabase("embedded PGlite at /home/me/.mlbox/pglite"), "embedded PGlite at /home/me/.mlbox/pglite");
    assert.equal(redactDatabase("postgres://user:secret@host:5432/db"), "postgres://user@host:5432/db");
    assert.equal(redactDatabase("host=db user=ml password=secret dbname=x"), "an unparsable URL of 40 characters");
  });
});

describe("scrubSecrets", () => {
  test("removes the connection string, its password (raw and decoded) and password parameters from any text", () => {
    const url = "postgresql://mlbox:p%40ss%3Fw0rd@db:5432/plant?password=qq77";
    const text = `connect ${url} failed for p@ss?w0rd (p%40ss%3Fw0rd) and qq77`;
    const clean = scrubSecrets(text, url);
    for (const secret of ["p@ss?w0rd", "p%40ss%3Fw0rd", "qq77"]) assert.ok(!clean.includes(secret), clean);
    assert.match(clean, /postgresql:\/\/mlbox@db:5432\/plant/);
  });

  test("a value that is not a URL is replaced whole; no value leaves the text alone", () => {
    assert.equal(scrubSecrets("bad value: host=db password=hunter2!", "host=db password=hunter2"), "bad value: an unparsable URL of 24 characters!");
    assert.equal(scrubSecrets("nothing to hide", undefined), "nothing to hide");
  });
});
