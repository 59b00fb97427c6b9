import assert from "node:assert/strict";
import { test } from "node:test";
import { createGroupCommit } from "../server/groupCommit";

test("writes arriving while one commits go together in the next commit, each answered with its own result", async () => {
  const groups: number[][] = [];
  const save = createGroupCommit(async (items: readonly number[]) => {
    groups.push([...items]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    return items.map((item) => item * 10);
  });
  const results = await Promise.all([save(1), save(2), save(3), save(4)]);
  assert.deepEqual(results, [10, 20, 30, 40]);
  assert.deepEqual(groups, [[1], [2, 3, 4]]);
});

test("a failed group is tried again one by one: only the write that fails alone is refused", async () => {
  const groups: string[][] = [];
  const save = createGroupCommit(async (items: readonly string[]) => {
    groups.push([...items]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (items.includes("bad")) throw new Error("bad row");
    return items.map((item) => item.toUpperCase());
  });
  const settled = await Promise.allSettled([save("first"), save("a"), save("bad"), save("b")]);
  assert.deepEqual(
    settled.map((s) => (s.status === "fulfilled" ? s.value : (s.reason as Error).message)),
    ["FIRST", "A", "bad row", "B"],
  );
  assert.deepEqual(groups, [["first"], ["a", "bad", "b"], ["a"], ["bad"], ["b"]]);
});

test("a group holds at most maxGroup writes", async () => {
  const sizes: number[] = [];
  const save = createGroupCommit(
    async (items: readonly number[]) => {
      sizes.push(items.length);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return items;
    },
    { maxGroup: 2 },
  );
  await Promise.all([1, 2, 3, 4, 5, 6].map(save));
  assert.deepEqual(sizes, [1, 2, 2, 1]);
});
