#!/usr/bin/env python3
"""Writes SQL (DDL + COPY) for a Resolve-like project library to stdout; pipe it into psql.

The schema follows what is known of Resolve's (../shared/RESOLVE.md): mixed-case table and
column names, a project folder tree, projects, timelines, timeline items, media with file
paths, and blob columns holding already-compressed (here: random) bytes, which dominate a
dump as hex text. Deterministic for a given --seed.

    python3 bench/generate_library.py --megabytes 450 | psql -q -d MyLibrary
"""
import argparse
import os
import random
import uuid

SCHEMA = r'''
CREATE TABLE "SM_ProjectFolder" ("SM_ProjectFolder_id" uuid PRIMARY KEY, "ParentFolder" uuid, "Name" text NOT NULL);
CREATE TABLE "SM_Project" ("SM_Project_id" uuid PRIMARY KEY, "ProjectName" text NOT NULL, "Folder" uuid,
  "LastModTimeInSecs" bigint, "LockId" uuid, "IsCollaborationEnabled" boolean DEFAULT false, "FieldsBlob" bytea);
CREATE TABLE "Sm2Timeline" ("Sm2Timeline_id" uuid PRIMARY KEY, "Name" text, "FrameRate" double precision, "FieldsBlob" bytea);
CREATE TABLE "SM_Project_Sm2Timeline" ("DbOwner" uuid, "DbAssociate" uuid);
CREATE TABLE "Sm2MpMedia" ("Sm2MpMedia_id" uuid PRIMARY KEY, "Name" text, "FilePath" text, "Reel" text, "Duration" bigint);
CREATE TABLE "Sm2TiItem" ("Sm2TiItem_id" uuid PRIMARY KEY, "Timeline" uuid, "Media" uuid, "StartFrame" bigint,
  "EndFrame" bigint, "Name" text, "Properties" bytea);
CREATE TABLE "BtVideoInfo" ("BtVideoInfo_id" uuid PRIMARY KEY, "Media" uuid, "Codec" text, "Width" int, "Height" int, "Blob" bytea);
CREATE TABLE "BtAudioInfo" ("BtAudioInfo_id" uuid PRIMARY KEY, "Media" uuid, "Channels" int, "SampleRate" int, "Blob" bytea);
CREATE TABLE "BtThumnail" ("BtThumnail_id" uuid PRIMARY KEY, "Media" uuid, "Data" bytea);
CREATE TABLE "Sm2SysIdEntry" ("Sm2SysIdEntry_id" uuid PRIMARY KEY, "Name" text, "ClientAddr" text, "SysId" text);
CREATE TABLE database_upgrade_log (version text, "time" timestamptz);
INSERT INTO database_upgrade_log VALUES ('18.6.0.0015', now());
'''

WORDS = ["Spot", "Trailer", "Feature", "Doc", "Promo", "Edit", "Grade", "Conform", "Online", "Offline", "Reel",
         "Montage", "Teaser", "Episode", "Director's Cut", "Netflix", "Client Review", "Müller", "Café", "東京"]
CODECS = ["ProRes 422 HQ", "DNxHR HQX", "H.264", "BRAW 8:1", "ARRIRAW", "XAVC-I"]


def blob(rng, size):
    return "\\\\x" + rng.randbytes(size).hex()


def esc(text):
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=float, default=50, help="approximate size of the blob data")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    uid = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)
    out = os.fdopen(1, "w", buffering=1 << 20)
    out.write(SCHEMA)

    folders = [(uid(), None, "Clients")]
    for name in ["Commercials", "Features", "Archive 2024", "Music Videos"]:
        folders.append((uid(), folders[0][0], name))
    for parent in list(folders[1:]):
        folders.append((uid(), parent[0], f"{rng.choice(WORDS)} {rng.randint(1, 99)}"))
    out.write('COPY "SM_ProjectFolder" FROM stdin;\n')
    for fid, parent, name in folders:
        parent_text = str(parent) if parent else "\\N"
        out.write(f"{fid}\t{parent_text}\t{esc(name)}\n")
    out.write("\\.\n")

    budget = int(args.megabytes * 1024 * 1024)
    per_project = 12 * 1024 * 1024
    project_count = max(3, budget // per_project)
    projects = [(uid(), f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i:03d}", rng.choice(folders)[0]) for i in range(project_count)]
    out.write('COPY "SM_Project" FROM stdin;\n')
    for pid, name, folder in projects:
        out.write(f"{pid}\t{esc(name)}\t{folder}\t{1760000000 + rng.randint(0, 9000000)}\t{uid()}\tf\t{blob(rng, 4096)}\n")
    out.write("\\.\n")

    written = 0
    media_paths = []
    for pid, pname, _ in projects:
        timelines = [uid() for _ in range(4)]
        out.write('COPY "Sm2Timeline" FROM stdin;\n')
        for tid in timelines:
            out.write(f"{tid}\t{esc(pname)} TL v{rng.randint(1, 30)}\t{rng.choice([23.976, 24.0, 25.0, 29.97])}\t{blob(rng, 16384)}\n")
        out.write("\\.\n")
        out.write('COPY "SM_Project_Sm2Timeline" FROM stdin;\n')
        for tid in timelines:
            out.write(f"{pid}\t{tid}\n")
        out.write("\\.\n")
        media = [uid() for _ in range(60)]
        out.write('COPY "Sm2MpMedia" FROM stdin;\n')
        for mid in media:
            path = f"/Volumes/SAN/Projects/{esc(pname)}/Footage/A{rng.randint(1, 40):03d}_C{rng.randint(1, 999):03d}_{rng.randint(100000, 999999)}.mov"
            media_paths.append(path)
            out.write(f"{mid}\t{os.path.basename(path)}\t{path}\tA{rng.randint(1, 40):03d}\t{rng.randint(100, 100000)}\n")
        out.write("\\.\n")
        out.write('COPY "Sm2TiItem" FROM stdin;\n')
        for _ in range(400):
            start = rng.randint(0, 200000)
            out.write(f"{uid()}\t{rng.choice(timelines)}\t{rng.choice(media)}\t{start}\t{start + rng.randint(10, 2000)}\tClip {rng.randint(1, 9999)}\t{blob(rng, 2048)}\n")
        out.write("\\.\n")
        out.write('COPY "BtVideoInfo" FROM stdin;\n')
        for mid in media:
            out.write(f"{uid()}\t{mid}\t{rng.choice(CODECS)}\t3840\t2160\t{blob(rng, 8192)}\n")
        out.write("\\.\n")
        out.write('COPY "BtAudioInfo" FROM stdin;\n')
        for mid in media:
            out.write(f"{uid()}\t{mid}\t{rng.choice([2, 8, 16])}\t48000\t{blob(rng, 4096)}\n")
        out.write("\\.\n")
        out.write('COPY "BtThumnail" FROM stdin;\n')
        thumbs = 0
        for mid in media:
            size = rng.randint(80, 200) * 1024
            out.write(f"{uid()}\t{mid}\t{blob(rng, size)}\n")
            thumbs += size
        out.write("\\.\n")
        written += 4 * 16384 + 400 * 2048 + 60 * (8192 + 4096) + thumbs
    out.write('COPY "Sm2SysIdEntry" FROM stdin;\n')
    for i in range(12):
        out.write(f"{uid()}\tEDIT-BAY-{i:02d}\t10.20.0.{10 + i}\tSYS{rng.getrandbits(48):012X}\n")
    out.write("\\.\n")
    out.flush()


if __name__ == "__main__":
    main()
