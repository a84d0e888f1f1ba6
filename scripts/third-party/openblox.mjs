// Drives the emulator with the `openblox` TypeScript client, unchanged: its requests to
// https://apis.roblox.com are sent to the emulator instead (the only change is the base URL).
//
//   node openblox.mjs http://127.0.0.1:PORT API_KEY DIR_WITH_NODE_MODULES
//
// Prints one line per check and exits non-zero if any failed. Run by
// scripts/check-third-party.sh, which installs the client in a throwaway directory.

import { createRequire } from "node:module";
import path from "node:path";

const [base, key, dir] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(dir), "node_modules", "x.js"));
const { setDefaultOpenbloxConfig, createOpenbloxConfig } = require("openblox/config");
const {
  StandardDataStoresApi_V1: S,
  OrderedDataStoresApi_V1: O,
  StandardDataStoresApi_V2: S2,
  MessagingApi: M,
  UserRestrictionsApi: R,
} = require("openblox/cloud");

const realFetch = globalThis.fetch;
globalThis.fetch = (url, init) =>
  realFetch(String(url).replace("https://apis.roblox.com", base.replace(/\/$/, "")), init);
setDefaultOpenbloxConfig(createOpenbloxConfig({ cloudKey: key }));

const results = [];
async function check(name, fn) {
  try {
    await fn();
    results.push([name, null]);
  } catch (e) {
    results.push([name, (e && e.stack) || String(e)]);
  }
}
function assert(cond, what) {
  if (!cond) throw new Error(`assertion failed: ${what}`);
}
const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const universeId = 1;
const state = {};

await check("v1 set entry with content-md5, users and attributes", async () => {
  const { data } = await S.setStandardDatastoreEntry({
    universeId, datastoreName: "Inventory", entryKey: "user_1", scope: "global",
    entryValue: { gold: 5 }, entryUserIds: [269323], entryAttributes: { tier: "gold" },
  });
  assert(data.version && data.deleted === false, JSON.stringify(data));
  assert(data.contentLength === '{"gold":5}'.length, JSON.stringify(data));
  state.version = data.version;
});

await check("v1 get entry: value, checksum and metadata headers", async () => {
  const { data } = await S.standardDatastoreEntry({
    universeId, datastoreName: "Inventory", entryKey: "user_1", scope: "global",
  });
  assert(eq(data.entry, { gold: 5 }), JSON.stringify(data));
  assert(data.checksumsMatch === true, "checksum " + data.metadata.contentMD5);
  assert(data.metadata.entryVersion === state.version, data.metadata.entryVersion);
  assert(eq(data.metadata.entryUserIds, [269323]), JSON.stringify(data.metadata));
  assert(eq(data.metadata.entryAttributes, { tier: "gold" }), JSON.stringify(data.metadata));
  assert(!isNaN(data.metadata.entryCreatedTime.getTime()), "created time");
});

await check("v1 set with a stale matchVersion is refused", async () => {
  await S.setStandardDatastoreEntry({
    universeId, datastoreName: "Inventory", entryKey: "user_1", entryValue: { gold: 6 },
  });
  let refused = false;
  try {
    await S.setStandardDatastoreEntry({
      universeId, datastoreName: "Inventory", entryKey: "user_1", entryValue: { gold: 7 },
      matchVersion: state.version,
    });
  } catch (e) {
    refused = true;
  }
  assert(refused, "a stale matchVersion was accepted");
});

await check("v1 increment", async () => {
  const { data } = await S.incrementStandardDatastoreEntry({
    universeId, datastoreName: "Inventory", entryKey: "counter", incrementBy: 3,
  });
  assert(data === 3, JSON.stringify(data));
});

await check("v1 keys in all scopes, a page at a time", async () => {
  await S.setStandardDatastoreEntry({
    universeId, datastoreName: "Inventory", entryKey: "other", scope: "s1", entryValue: { n: 1 },
  });
  const first = await S.standardDatastoreKeys({
    universeId, datastoreName: "Inventory", allScopes: true, limit: 2,
  });
  const keys = [...first.data];
  assert(first.cursors.next, "no cursor after a full page");
  const second = await S.standardDatastoreKeys({
    universeId, datastoreName: "Inventory", allScopes: true, limit: 2, cursor: first.cursors.next,
  });
  keys.push(...second.data);
  assert(eq(keys.sort(), ["counter", "other", "user_1"]), JSON.stringify(keys));
});

await check("v1 versions, and the entry at a version", async () => {
  const { data } = await S.listStandardDatastoreEntryVersions({
    universeId, datastoreName: "Inventory", entryKey: "user_1", sortOrder: "Ascending",
  });
  assert(data.length === 2 && data[0].version === state.version, JSON.stringify(data));
  const old = await S.standardDatastoreEntryOfVersion({
    universeId, datastoreName: "Inventory", entryKey: "user_1", versionId: state.version,
  });
  assert(eq(old.data.entry, { gold: 5 }) && old.data.checksumsMatch, JSON.stringify(old.data));
});

await check("v1 list data stores", async () => {
  const { data } = await S.listStandardDatastores({ universeId, limit: 10 });
  assert(eq(data.map((d) => d.name), ["Inventory"]), JSON.stringify(data));
});

await check("v1 delete entry", async () => {
  const { data } = await S.deleteStandardDatastoreEntry({
    universeId, datastoreName: "Inventory", entryKey: "user_1",
  });
  assert(data === true, JSON.stringify(data));
});

await check("v2 list entries sees what v1 wrote", async () => {
  const { data } = await S2.listStandardDataStoreEntries({
    universeId, dataStore: "Inventory", scope: "global", limit: 10,
  });
  const ids = (data || []).map((e) => e.id).sort();
  assert(eq(ids, ["counter"]), JSON.stringify(data));
});

await check("ordered v1 create, get, update, increment, list, delete", async () => {
  const common = { universeId, orderedDataStore: "Scores", scope: "global" };
  for (const [id, value] of [["a", 10], ["b", 30], ["c", -20]]) {
    const { data } = await O.createOrderedDatastoreEntry({ ...common, id, value });
    assert(Number(data.value) === value, JSON.stringify(data));
  }
  const got = await O.orderedDatastoreEntry({ ...common, id: "b" });
  assert(Number(got.data.value) === 30, JSON.stringify(got.data));
  const up = await O.updateOrderedDatastoreEntry({ ...common, id: "d", newValue: 5, createIfNoEntryExists: true });
  assert(Number(up.data.value) === 5, JSON.stringify(up.data));
  const inc = await O.incrementOrderedDatastoreEntry({ ...common, id: "a", incrementBy: 1 });
  assert(Number(inc.data.value) === 11, JSON.stringify(inc.data));
  const desc = await O.listOrderedDatastoreEntries({ ...common, orderBy: "desc", maxPageSize: 10 });
  assert(eq(desc.data.map((e) => e.id), ["b", "a", "d", "c"]), JSON.stringify(desc.data));
  const low = await O.listOrderedDatastoreEntries({ ...common, filter: "entry <= 5" });
  assert(eq(low.data.map((e) => e.id), ["c", "d"]), JSON.stringify(low.data));
  const del = await O.deleteOrderedDatastoreEntry({ ...common, id: "c" });
  assert(del.data === true, JSON.stringify(del.data));
});

await check("messaging publish (v1 topic path)", async () => {
  const { data } = await M.publishMessage({ universeId, topic: "news", message: { hello: 1 } });
  assert(data === true, JSON.stringify(data));
});

await check("ban at a place, read it back, list the logs by user and place", async () => {
  const ban = await R.updateRestrictionsForUser({
    universeId, placeId: 2, userId: 42, idempotencyKey: "k-1", firstSent: new Date().toISOString(),
    updatedData: { gameJoinRestriction: { active: true, duration: "3600s", privateReason: "p", displayReason: "d", excludeAltAccounts: false } },
  });
  assert(ban.data.gameJoinRestriction.active === true, JSON.stringify(ban.data));
  const got = await R.restrictionForUser({ universeId, placeId: 2, userId: 42 });
  assert(got.data.gameJoinRestriction.duration === "3600s", JSON.stringify(got.data));
  const logs = await R.listRestrictionLogs({ universeId, placeId: 2, userId: 42, limit: 10 });
  assert(logs.data.length === 1 && logs.data[0].displayReason === "d", JSON.stringify(logs.data));
  const none = await R.listRestrictionLogs({ universeId, userId: 7 });
  assert(none.data.length === 0, JSON.stringify(none.data));
});

const failed = results.filter(([, e]) => e);
for (const [name, err] of results) {
  console.log((err ? "FAIL " : "ok   ") + name);
  if (err) console.log("     " + err.split("\n").slice(0, 4).join("\n     "));
}
console.log(`${results.length - failed.length} of ${results.length} checks passed`);
process.exit(failed.length ? 1 : 0);
