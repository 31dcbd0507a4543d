import Foundation
import LaterbaseCore

/// Makes a small Resolve-like library in a real database: the tables Resolve uses
/// (mixed-case names), a project folder tree, projects with last-modified times, timelines,
/// media with file paths, and blob columns of random bytes. Generated server-side.
public enum ResolveFixture {
    /// Creates the schema and `projects` projects with about `blobKilobytes` of blobs each.
    public static func populate(_ cluster: PostgresCluster, database: String, projects: Int = 3, blobKilobytes: Int = 64) async throws {
        let chunks = max(1, blobKilobytes * 1024 / 4096)
        try await cluster.execute("""
            CREATE TABLE "SM_ProjectFolder" ("SM_ProjectFolder_id" uuid PRIMARY KEY, "ParentFolder" uuid, "Name" text NOT NULL);
            CREATE TABLE "SM_Project" ("SM_Project_id" uuid PRIMARY KEY, "ProjectName" text NOT NULL, "Folder" uuid,
              "LastModTimeInSecs" bigint, "LockId" uuid, "IsCollaborationEnabled" boolean DEFAULT false, "FieldsBlob" bytea);
            CREATE TABLE "Sm2Timeline" ("Sm2Timeline_id" uuid PRIMARY KEY, "Name" text, "FieldsBlob" bytea);
            CREATE TABLE "SM_Project_Sm2Timeline" ("DbOwner" uuid, "DbAssociate" uuid);
            CREATE TABLE "Sm2MpMedia" ("Sm2MpMedia_id" uuid PRIMARY KEY, "Name" text, "FilePath" text);
            CREATE TABLE "BtThumnail" ("BtThumnail_id" uuid PRIMARY KEY, "Media" uuid, "Data" bytea);
            CREATE TABLE database_upgrade_log (version text, "time" timestamptz);
            INSERT INTO database_upgrade_log VALUES ('18.5.0.0007', now() - interval '1 day'), ('18.6.0.0015', now());
            INSERT INTO "SM_ProjectFolder" VALUES
              ('00000000-0000-4000-8000-000000000001', NULL, 'Clients'),
              ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'Commercials');
            CREATE FUNCTION pg_temp.noise(n int) RETURNS bytea LANGUAGE sql AS
              $$ SELECT string_agg(decode(md5(random()::text) || md5(random()::text), 'hex'), '') FROM generate_series(1, n * 128) $$;
            INSERT INTO "SM_Project" ("SM_Project_id", "ProjectName", "Folder", "LastModTimeInSecs", "FieldsBlob")
              SELECT gen_random_uuid(), 'Spot ' || i || CASE WHEN i = 1 THEN ' O''Brien – Café 東京' ELSE '' END,
                     CASE WHEN i % 2 = 0 THEN '00000000-0000-4000-8000-000000000002'::uuid END, 1790000000 + i, pg_temp.noise(1)
              FROM generate_series(1, \(projects)) i;
            INSERT INTO "Sm2Timeline" SELECT gen_random_uuid(), "ProjectName" || ' TL', pg_temp.noise(2) FROM "SM_Project";
            INSERT INTO "SM_Project_Sm2Timeline" SELECT p."SM_Project_id", t."Sm2Timeline_id" FROM "SM_Project" p JOIN "Sm2Timeline" t ON t."Name" = p."ProjectName" || ' TL';
            INSERT INTO "Sm2MpMedia" SELECT gen_random_uuid(), 'A001_C00' || i || '.mov', 'C:\\Media\\' || p."ProjectName" || '\\A001_C00' || i || '.mov'
              FROM "SM_Project" p, generate_series(1, 5) i;
            INSERT INTO "BtThumnail" SELECT gen_random_uuid(), m."Sm2MpMedia_id", pg_temp.noise(\(chunks)) FROM "Sm2MpMedia" m;
            """, database: database)
    }

    /// The tables of the fixture, for table-by-table comparisons.
    public static let tables = ["SM_ProjectFolder", "SM_Project", "Sm2Timeline", "SM_Project_Sm2Timeline", "Sm2MpMedia", "BtThumnail", "database_upgrade_log"]

    /// A digest of every row of every fixture table, in a stable order.
    public static func digests(_ cluster: PostgresCluster, database: String) async throws -> [String: String] {
        var result: [String: String] = [:]
        for table in tables {
            let quoted = SQLQuoting.identifier(table)
            result[table] = try await cluster.query("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \(quoted) t",
                                                    database: database).scalar
        }
        return result
    }
}
