import { expect, test } from "vitest";

import { decodeMembers, encodeMembers, toProcess } from "../../shared/storage/processPartition.js";

const owner = "00000000-0000-0000-0000-00000000000a";
const holder = "00000000-0000-0000-0000-00000000000b";
const gone = "00000000-0000-0000-0000-00000000000c";
const at = "2027-01-01T00:00:00.000Z";

function entity(members: Record<string, string>): any {
  return {
    kind: "processMining",
    name: "n",
    description: "",
    ownerId: owner,
    createdAt: at,
    updatedAt: at,
    version: 1,
    etag: 'W/"x"',
    ...members,
  };
}

test("rows written before expiries existed read as roles that do not expire", () => {
  const old = entity({ members: JSON.stringify({ [owner]: "o", [holder]: "v", [gone]: "r" }) });
  const process = toProcess("p", old);
  expect(process.members).toEqual({ [owner]: "owner", [holder]: "viewer", [gone]: "revoked" });
  expect(process.expiries).toBeUndefined();
});

test("an expiring role round-trips through the members map entry; other entries stay as they were", () => {
  const encoded = encodeMembers(
    { [owner]: "owner", [holder]: "viewer", [gone]: "revoked" },
    { [holder]: at, [gone]: at },
  );
  expect(JSON.parse(encoded.members ?? "")).toEqual({ [owner]: "o", [holder]: `v@${at}`, [gone]: "r" });
  const process = toProcess("p", entity(encoded));
  expect(process.members).toEqual({ [owner]: "owner", [holder]: "viewer", [gone]: "revoked" });
  expect(process.expiries).toEqual({ [holder]: at });
  expect(decodeMembers(encoded)).toEqual(process.members);
});
