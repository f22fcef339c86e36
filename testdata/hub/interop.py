#!/usr/bin/env python3
"""Drive every reefwatch hub TAXII 2.1 endpoint with the OASIS clients.

Usage: interop.py DISCOVERY_URL   (env: ADMIN_PW, BOB_PW, RO_COLLECTION)
Clients: taxii2-client (pip taxii2-client) and stix2 (pip stix2)
TAXIICollectionSource. Exits non-zero on the first failed check; prints
'N passed, 0 failed' at the end.
"""
import json
import os
import sys
import uuid

import requests
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages
import stix2
from stix2 import Filter, TAXIICollectionSource

URL = sys.argv[1]
BASE = URL.split("/taxii2/")[0]
ADMIN = ("admin", os.environ["ADMIN_PW"])
BOB = ("bob", os.environ["BOB_PW"])
RO = os.environ["RO_COLLECTION"]
TAXII = "application/taxii+json;version=2.1"
passed = 0


def check(cond, what):
    global passed
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)
    passed += 1
    print("ok:", what)


def indicator(n, modified="2020-01-01T00:00:00.000Z"):
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--%s" % uuid.UUID(int=n + 1, version=4),
        "created": "2020-01-01T00:00:00.000Z", "modified": modified,
        "name": "ind %d" % n, "pattern": "[ipv4-addr:value = '10.1.%d.%d']" % (n // 256, n % 256),
        "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z",
    }


def status_code(fn):
    try:
        fn()
    except requests.exceptions.HTTPError as e:
        return e.response.status_code
    return 200


# Discovery, API root, collections
server = Server(URL, user=ADMIN[0], password=ADMIN[1])
check(server.title == "reefwatch hub", "discovery title")
check(len(server.api_roots) == 1 and server.default is not None, "discovery lists api1 as default")
root = server.api_roots[0]
check(root.versions == [TAXII], "api root versions")
check(root.max_content_length > 0, "api root max_content_length")
cols = {c.title: c for c in root.collections}
check("default" in cols and cols["default"].can_read and cols["default"].can_write, "default collection read-write")
coll = cols["default"]

# Add objects: 30 indicators, 3 versions of one, a malware, one invalid object
objs = [indicator(i) for i in range(30)]
objs += [indicator(0, "2021-01-01T00:00:00.000Z"), indicator(0, "2022-01-01T00:00:00.000Z")]
mal = {"type": "malware", "spec_version": "2.1", "id": "malware--%s" % uuid.UUID(int=999, version=4),
       "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
       "name": "evil", "is_family": False}
objs.append(mal)
objs.append({"type": "indicator", "id": "indicator--broken"})
st = coll.add_objects(json.dumps({"objects": objs}))
check(st.status == "complete", "add_objects status complete")
check(st.success_count == 33 and st.failure_count == 1, "per-object success/failure counts")
check(st.failures[0]["id"] == "indicator--broken", "invalid object reported in failures")
st2 = root.get_status(st.id)
check(st2.success_count == 33, "get status resource")
again = coll.add_objects(json.dumps({"objects": objs[:5]}))
check(again.success_count == 5, "idempotent re-post counts as success")

# Get objects (default version=last), manifest, added_after
env = coll.get_objects()
check(len(env["objects"]) == 31 and env["more"] is False, "get_objects returns latest versions")
man = coll.get_manifest()
check(len(man["objects"]) == 31, "manifest")
da = [m["date_added"] for m in man["objects"]]
check(da == sorted(da), "manifest in date_added order")
after = coll.get_objects(added_after=da[9])
check(len(after["objects"]) == 21, "poll with added_after")

# Paginate with limit/next (taxii2-client as_pages)
seen = []
pages = 0
for page in as_pages(coll.get_objects, per_request=7):
    pages += 1
    seen += [o["id"] for o in page.get("objects", [])]
check(pages == 5 and len(seen) == 31 and len(set(seen)) == 31, "as_pages over objects: 5 pages, no duplicates")
mseen = []
for page in as_pages(coll.get_manifest, per_request=10):
    mseen += page.get("objects", [])
check(len(mseen) == 31, "as_pages over manifest")

# The four match filters
oid = objs[0]["id"]
check([o["id"] for o in coll.get_objects(id=oid)["objects"]] == [oid], "match[id]")
check(len(coll.get_objects(type="malware")["objects"]) == 1, "match[type]")
check(len(coll.get_objects(type=["malware", "indicator"])["objects"]) == 31, "match[type] list")
check(len(coll.get_objects(spec_version="2.1")["objects"]) == 31, "match[spec_version]")
v = coll.get_objects(id=oid, version="first")["objects"]
check(len(v) == 1 and v[0]["modified"] == "2020-01-01T00:00:00.000Z", "match[version]=first")
v = coll.get_objects(id=oid, version="last")["objects"]
check(v[0]["modified"] == "2022-01-01T00:00:00.000Z", "match[version]=last")
check(len(coll.get_objects(id=oid, version="all")["objects"]) == 3, "match[version]=all")
v = coll.get_objects(id=oid, version="2021-01-01T00:00:00.000Z")["objects"]
check(len(v) == 1 and v[0]["modified"] == "2021-01-01T00:00:00.000Z", "match[version]=<timestamp>")

# Object, versions
check(coll.get_object(oid)["objects"][0]["modified"] == "2022-01-01T00:00:00.000Z", "get_object")
vers = coll.object_versions(oid)["versions"]
check(sorted(vers) == ["2020-01-01T00:00:00.000Z", "2021-01-01T00:00:00.000Z", "2022-01-01T00:00:00.000Z"], "object_versions")

# stix2 TAXIICollectionSource, reading all pages (5 per page)
src = TAXIICollectionSource(coll, items_per_page=5)
inds = src.query([Filter("type", "=", "indicator")])
check(len(inds) == 30, "stix2 TAXIICollectionSource.query reads all pages")
check(isinstance(src.get(mal["id"]), stix2.v21.Malware), "stix2 TAXIICollectionSource.get")
check(len(src.all_versions(oid)) == 3, "stix2 TAXIICollectionSource.all_versions")

# Delete
coll.delete_object(objs[1]["id"])
check(status_code(lambda: coll.get_object(objs[1]["id"])) == 404, "delete_object, then 404")

# Errors: 401, 403, 404, 406, 415
check(status_code(lambda: Server(URL, user="admin", password="wrong").refresh()) == 401, "401 bad password")
check(requests.get(URL, headers={"Accept": TAXII}).status_code == 401, "401 no credentials")
ro_url = "%s/api1/collections/%s/" % (BASE, RO)
ro = Collection(ro_url, user=BOB[0], password=BOB[1])
check(ro.can_read and not ro.can_write, "bob: read-only collection")
r = requests.post(ro_url + "objects/", auth=BOB, data=json.dumps({"objects": [indicator(5)]}),
                  headers={"Accept": TAXII, "Content-Type": TAXII})
check(r.status_code == 403 and r.json()["http_status"] == "403", "403 write to read-only collection")
check(status_code(lambda: Collection(BASE + "/api1/collections/nope/", user=ADMIN[0], password=ADMIN[1]).refresh()) == 404, "404 unknown collection")
r = requests.get(coll.url + "objects/", auth=ADMIN, headers={"Accept": "application/json"})
check(r.status_code == 406, "406 wrong Accept")
r = requests.post(coll.url + "objects/", auth=ADMIN, data="{}", headers={"Accept": TAXII, "Content-Type": "application/json"})
check(r.status_code == 415, "415 wrong Content-Type")
r = requests.get(coll.url + "objects/?limit=abc", auth=ADMIN, headers={"Accept": TAXII})
check(r.status_code == 400 and r.headers["Content-Type"] == TAXII, "400 malformed parameter, TAXII error body")

print("%d passed, 0 failed" % passed)
