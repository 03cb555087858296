import ConnectHTTP
import ConnectKit
import ConnectKitTesting
import ConnectRuntime
@testable import ConnectS3
import Foundation
import Synchronization
import Testing

/// The S3 endpoint make test starts (moto_server: no signature check), or nil (skipped outside make test).
func s3URL(_ name: String = "CONNECTKIT_S3_URL") throws -> String? {
    if let url = ProcessInfo.processInfo.environment[name] { return url }
    try #require(ProcessInfo.processInfo.environment["CONNECTKIT_REQUIRE_SERVERS"] != "1", "make test starts the S3 servers")
    return nil
}

let signedKey = S3Credentials(accessKeyID: "connectkit-key", secretAccessKey: Password("connectkit-secret"), source: "test")

@Suite("S3 client and the sink on S3 (moto_server, nanio)", .serialized)
struct S3StoreTests {
    @Test("credentials: the connector's keys, then the environment, then ~/.aws/credentials; halves and unknown profiles are errors; never printed")
    func credentialsChain() throws {
        let dir = try temporaryDirectory("connectkit-aws")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("credentials").path
        try "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = default-secret\n\n[ops]\naws_access_key_id=OPSKEY\naws_secret_access_key=ops-secret\naws_session_token=ops-token\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let env = ["AWS_SHARED_CREDENTIALS_FILE": file]
        let fromConfig = try S3Credentials.resolve(accessKeyID: "CFGKEY", secretAccessKey: Password("cfg-secret"), environment: env.merging(["AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "x"]) { $1 })
        #expect(fromConfig?.accessKeyID == "CFGKEY" && fromConfig?.source == "aws.access.key.id")
        let fromEnv = try S3Credentials.resolve(accessKeyID: "", secretAccessKey: nil, environment: env.merging(["AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "tok"]) { $1 })
        #expect(fromEnv?.accessKeyID == "ENVKEY" && fromEnv?.sessionToken?.value == "tok")
        #expect(try S3Credentials.resolve(accessKeyID: nil, secretAccessKey: nil, environment: env)?.accessKeyID == "DEFAULTKEY")
        let ops = try S3Credentials.resolve(accessKeyID: nil, secretAccessKey: nil, environment: env.merging(["AWS_PROFILE": "ops"]) { $1 })
        #expect(ops?.accessKeyID == "OPSKEY" && ops?.sessionToken?.value == "ops-token")
        #expect(try S3Credentials.resolve(accessKeyID: nil, secretAccessKey: nil, environment: [:]) == nil)
        #expect(throws: S3Error.self) { try S3Credentials.resolve(accessKeyID: "ONLYKEY", secretAccessKey: nil, environment: [:]) }
        #expect(throws: S3Error.self) { try S3Credentials.resolve(accessKeyID: nil, secretAccessKey: nil, environment: env.merging(["AWS_PROFILE": "nope"]) { $1 }) }
        #expect(throws: S3Error.self) { try S3Credentials.resolve(accessKeyID: nil, secretAccessKey: nil, environment: ["AWS_ACCESS_KEY_ID": "K"]) }
        let shown = "\(ops!) \(String(reflecting: ops!))"
        #expect(!shown.contains("ops-secret") && !shown.contains("ops-token"))
    }

    @Test("SigV4: AWS's documented GET Object example signs to AWS's signature")
    func awsSignatureExample() {
        // docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "Example: GET Object".
        let signer = S3Signer(credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: Password("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), source: "test"),
                              region: "us-east-1")
        let headers = signer.sign(method: "GET", url: "https://examplebucket.s3.amazonaws.com/test.txt", headers: [HTTPHeader("Range", "bytes=0-9")], body: [], now: 1_369_353_600)
        let auth = headers.first { $0.name == "Authorization" }?.value ?? ""
        #expect(auth == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(headers.contains { $0.name == "x-amz-content-sha256" && $0.value == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" })
    }

    @Test("SigV4 against nanio: put, get, list; a wrong secret and a missing bucket are one clear error each, naming bucket, endpoint and region, never the secret")
    func signedRequests() async throws {
        guard let url = try s3URL("CONNECTKIT_S3_SIGNED_URL") else { return }
        let client = S3Client(.init(endpoint: url, region: "us-east-1", pathStyle: true, credentials: signedKey, retries: 0))
        defer { client.shutdown() }
        try await client.createBucket("signed-lake")
        try await client.headBucket("signed-lake")
        let body = Array("hello, s3 — ünïcode key".utf8)
        try await client.upload(bucket: "signed-lake", key: "topics/t/partition=0/t+0+0000000000.json", body: body)
        #expect(try await client.getObject(bucket: "signed-lake", key: "topics/t/partition=0/t+0+0000000000.json") == body)
        #expect(try await client.listObjects(bucket: "signed-lake", prefix: "topics/") == ["topics/t/partition=0/t+0+0000000000.json"])
        // A signed multipart upload (its query strings are in what libcurl signs).
        let parts = S3Client(.init(endpoint: url, region: "us-east-1", pathStyle: true, credentials: signedKey, retries: 0, partSize: 5 * 1024 * 1024))
        defer { parts.shutdown() }
        let big = (0..<(10 * 1024 * 1024 + 7)).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 3) }
        try await parts.upload(bucket: "signed-lake", key: "big/part=1/x+y.bin", body: big)
        #expect(try await parts.getObject(bucket: "signed-lake", key: "big/part=1/x+y.bin") == big)
        // Keys with spaces and non-ASCII characters; a listing in pages (continuation tokens are in
        // the signed query); SSE and tagging headers are signed too.
        let tagged = S3Client(.init(endpoint: url, region: "us-east-1", pathStyle: true, credentials: signedKey, retries: 0,
                                    uploadHeaders: [HTTPHeader("x-amz-server-side-encryption", "aws:kms"), HTTPHeader("x-amz-server-side-encryption-aws-kms-key-id", "key-1")]))
        defer { tagged.shutdown() }
        for name in ["a b.json", "ünï/çødé.json", "c=d+e.json"] {
            try await tagged.upload(bucket: "signed-lake", key: "keys/" + name, body: Array(name.utf8), headers: [HTTPHeader("x-amz-tagging", "startOffset=0&endOffset=1&recordCount=2")])
            #expect(try await client.getObject(bucket: "signed-lake", key: "keys/" + name) == Array(name.utf8))
        }
        #expect(try await client.listObjects(bucket: "signed-lake", prefix: "keys/", pageSize: 1) == ["keys/a b.json", "keys/c=d+e.json", "keys/ünï/çødé.json"])

        let wrong = S3Client(.init(endpoint: url, region: "us-east-1", pathStyle: true,
                                   credentials: S3Credentials(accessKeyID: "connectkit-key", secretAccessKey: Password("wrong-secret"), source: "test"), retries: 0))
        defer { wrong.shutdown() }
        do {
            try await wrong.upload(bucket: "signed-lake", key: "x.json", body: [1])
            Issue.record("a wrong secret was accepted")
        } catch {
            #expect(error.code == "SignatureDoesNotMatch" || error.status == 403, "\(error)")
            #expect("\(error)".contains("s3://signed-lake/x.json") && "\(error)".contains(url) && "\(error)".contains("us-east-1"))
            #expect(!"\(error)".contains("wrong-secret"))
        }
        do {
            try await client.headBucket("no-such-bucket")
            Issue.record("a missing bucket was found")
        } catch {
            #expect(error.code == "NoSuchBucket", "\(error)")
            #expect("\(error)".contains("s3://no-such-bucket") && !"\(error)".contains("connectkit-secret"))
        }
    }

    @Test("virtual-host addressing (s3.path.style.access.enabled=false): the bucket in the host name (<bucket>.localhost, which libcurl resolves to the loopback); put, multipart, get, list; the sink writes its objects that way")
    func virtualHost() async throws {
        guard let url = try s3URL() else { return }
        // moto_server takes the bucket from a Host of <bucket>.localhost[:port].
        let vhost = url.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        let path = S3Client(.init(endpoint: url, region: "us-east-1", pathStyle: true, credentials: signedKey))
        defer { path.shutdown() }
        try await path.createBucket("vhost-lake")
        let client = S3Client(.init(endpoint: vhost, region: "us-east-1", pathStyle: false, credentials: signedKey, partSize: 5 * 1024 * 1024))
        defer { client.shutdown() }
        #expect(client.url("vhost-lake", "a/b c.txt").hasPrefix("http://vhost-lake.localhost:"))
        try await client.headBucket("vhost-lake")
        try await client.upload(bucket: "vhost-lake", key: "a/b c.txt", body: Array("hello".utf8))
        let big = [UInt8](repeating: 7, count: 6 * 1024 * 1024)
        try await client.upload(bucket: "vhost-lake", key: "big.bin", body: big)
        #expect(try await client.getObject(bucket: "vhost-lake", key: "a/b c.txt") == Array("hello".utf8))
        #expect(try await client.getObject(bucket: "vhost-lake", key: "big.bin") == big)
        // What the virtual-host client wrote, read back path-style: the same bucket.
        #expect(try await path.listObjects(bucket: "vhost-lake") == ["a/b c.txt", "big.bin"])
        let task = S3SinkTask()
        try await task.start([
            "s3.bucket.name": "vhost-lake", "store.url": vhost, "s3.path.style.access.enabled": "false", "s3.region": "us-east-1",
            "aws.access.key.id": "connectkit-key", "aws.secret.access.key": "connectkit-secret",
            "format.class": "io.confluent.connect.s3.format.json.JsonFormat", "flush.size": "2",
        ])
        try await task.put((0..<2).map { SinkRecord(topic: "v", partition: 0, valueSchema: Schema.int64, value: .int64($0), offset: $0) })
        try await task.stop()
        #expect(try await path.getObject(bucket: "vhost-lake", key: "topics/v/partition=0/v+0+0000000000.json") == Array("0\n1\n".utf8))
    }

    @Test("partitioners and rotation on moto: Field, TimeBased (path.format, partition.duration.ms), Hourly (Record extractor, rotate.interval.ms), Daily (RecordField) and scheduled rotation write Confluent's keys to the bucket, every record once")
    func partitionersOnMoto() async throws {
        guard let url = try s3URL() else { return }
        let admin = S3Client(.init(endpoint: url, region: "us-east-1", pathStyle: true, credentials: signedKey))
        defer { admin.shutdown() }
        try await admin.createBucket("partitioned-lake")
        let schema = try SchemaBuilder.struct().name("E").field("id", Schema.int64).field("region", Schema.string).field("at", Schema.string).build()
        let base = Int64(1_710_028_800_000)  // 2024-03-10T00:00Z
        func record(_ i: Int64) -> SinkRecord {
            let at = base + i * 1_200_000  // every 20 minutes
            let iso = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(at) / 1000))
            return SinkRecord(topic: "ev", partition: 0, valueSchema: schema,
                              value: .struct(try! Struct(schema, ["id": .int64(i), "region": .string(i % 2 == 0 ? "eu" : "us"), "at": .string(iso)])),
                              offset: i, timestamp: at)
        }
        let common = ["s3.bucket.name": "partitioned-lake", "store.url": url, "s3.region": "us-east-1", "aws.access.key.id": "connectkit-key",
                      "aws.secret.access.key": "connectkit-secret", "format.class": "io.confluent.connect.s3.format.json.JsonFormat"]
        let runs: [(String, [String: String], [String])] = [
            ("field", ["partitioner.class": "io.confluent.connect.storage.partitioner.FieldPartitioner", "partition.field.name": "region", "flush.size": "6"], [
                "field/ev/region=eu/ev+0+0000000000.json", "field/ev/region=us/ev+0+0000000001.json",
            ]),
            ("hourly", ["partitioner.class": "io.confluent.connect.storage.partitioner.HourlyPartitioner", "locale": "en", "timezone": "UTC",
                        "timestamp.extractor": "Record", "rotate.interval.ms": "3600000", "flush.size": "100"], [
                // Records 3–5 (hour 01) stay in the open file: the hour changed at 3, but 5 is only 40 minutes after it.
                "hourly/ev/year=2024/month=03/day=10/hour=00/ev+0+0000000000.json",
            ]),
            ("timebased", ["partitioner.class": "io.confluent.connect.storage.partitioner.TimeBasedPartitioner", "partition.duration.ms": "7200000",
                           "path.format": "'dt'=YYYY-MM-dd/'hr'=HH", "locale": "en", "timezone": "UTC", "timestamp.extractor": "Record", "flush.size": "3"], [
                // Two-hour buckets: records 0–5 (00:00 to 01:40) all fall in 00:00; flush.size 3 makes two objects.
                "timebased/ev/dt=2024-03-10/hr=00/ev+0+0000000000.json", "timebased/ev/dt=2024-03-10/hr=00/ev+0+0000000003.json",
            ]),
            ("daily", ["partitioner.class": "io.confluent.connect.storage.partitioner.DailyPartitioner", "locale": "en", "timezone": "America/New_York",
                       "timestamp.extractor": "RecordField", "timestamp.field": "at", "flush.size": "6"], [
                "daily/ev/year=2024/month=03/day=09/ev+0+0000000000.json",
            ]),
        ]
        for (dir, settings, expected) in runs {
            let task = S3SinkTask()
            try await task.start(common.merging(settings) { $1 }.merging(["topics.dir": dir]) { $1 })
            try await task.put((0..<6).map(record))
            let committed = try await task.preCommit([TopicPartition(topic: "ev", partition: 0): OffsetAndMetadata(offset: 6)])
            try await task.stop()
            #expect(try await admin.listObjects(bucket: "partitioned-lake", prefix: dir + "/") == expected, "\(dir)")
            var ids: [Int64] = []
            for key in expected {
                let text = String(decoding: try await admin.getObject(bucket: "partitioned-lake", key: key), as: UTF8.self)
                for line in text.split(separator: "\n") { ids.append(Int64(line.split(separator: ",")[0].split(separator: ":")[1])!) }
            }
            // Written objects hold each record once; what is still open is not committed.
            #expect(Set(ids).count == ids.count, "\(dir)")
            #expect(committed.values.first?.offset == (ids.max().map { $0 + 1 } ?? 0), "\(dir)")
        }
        // Scheduled rotation: an idle partition's file is written at the commit after its time.
        let clockStart = base + 3 * 60_000
        let now = Mutex(clockStart)
        let task = S3SinkTask()
        task.clock = { now.withLock { $0 } }
        try await task.start(common.merging(["topics.dir": "scheduled", "flush.size": "1000", "rotate.schedule.interval.ms": "600000", "timezone": "UTC"]) { $1 })
        try await task.put((0..<3).map(record))
        now.withLock { $0 = base + 10 * 60_000 }
        _ = try await task.preCommit([TopicPartition(topic: "ev", partition: 0): OffsetAndMetadata(offset: 3)])
        try await task.stop()
        #expect(try await admin.listObjects(bucket: "partitioned-lake", prefix: "scheduled/") == ["scheduled/ev/partition=0/ev+0+0000000000.json"])
    }

    @Test("multipart: a body over s3.part.size goes up in parts and reads back whole; no upload is left incomplete")
    func multipart() async throws {
        guard let url = try s3URL() else { return }
        let client = S3Client(.init(endpoint: url, region: "us-east-1", pathStyle: true, credentials: signedKey, partSize: 5 * 1024 * 1024))
        defer { client.shutdown() }
        try await client.createBucket("multipart-lake")
        var body = [UInt8](repeating: 0, count: 11 * 1024 * 1024 + 123)
        for i in body.indices { body[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) }
        try await client.upload(bucket: "multipart-lake", key: "big/object.bin", body: body)
        #expect(try await client.getObject(bucket: "multipart-lake", key: "big/object.bin") == body)
        #expect(try await client.incompleteUploads(bucket: "multipart-lake").isEmpty)
        // A part that cannot be uploaded (the bucket vanished under it) aborts the upload.
        do {
            try await client.upload(bucket: "no-such-multipart-bucket", key: "big/object.bin", body: body)
            Issue.record("an upload to a missing bucket succeeded")
        } catch {
            #expect(error.code == "NoSuchBucket", "\(error)")
        }
    }

    @Test("injected faults (a proxy in front of moto): 503 SlowDown and 500 are retried; a part that fails for good aborts the upload, leaving none incomplete; retries run out into one clear error")
    func injectedFaults() async throws {
        guard let moto = try s3URL() else { return }
        let script = repositoryRoot.appendingPathComponent("scripts/test-servers/s3_fault_proxy.py").path
        let proxy = try await LocalServerProcess("/usr/bin/env", ["python3", script, "--upstream", moto])
        defer { proxy.stop() }
        let base = "http://127.0.0.1:\(try #require(proxy.port()))"
        let control = HTTPClient()
        defer { control.shutdown() }
        func faults(_ json: String) async throws {
            _ = try await control.send(HTTPRequest(.post, base + "/__faults", headers: [HTTPHeader("Content-Type", "application/json")], body: Array(json.utf8)))
        }
        let client = S3Client(.init(endpoint: base, region: "us-east-1", pathStyle: true, credentials: signedKey, retries: 3, retryBackoff: .milliseconds(10), partSize: 5 * 1024 * 1024))
        defer { client.shutdown() }
        try await client.createBucket("fault-lake")

        try await faults(#"[{"method":"PUT","contains":"/fault-lake/small.json","status":503,"code":"SlowDown","times":2}]"#)
        try await client.upload(bucket: "fault-lake", key: "small.json", body: [1, 2, 3])
        #expect(try await client.getObject(bucket: "fault-lake", key: "small.json") == [1, 2, 3])

        let big = (0..<(11 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 7 >> 2) }
        try await faults(#"[{"method":"PUT","contains":"partNumber=2","status":500,"code":"InternalError","times":1}]"#)
        try await client.upload(bucket: "fault-lake", key: "big.bin", body: big)
        #expect(try await client.getObject(bucket: "fault-lake", key: "big.bin") == big)

        // The completion's answer is lost (the server completed it): the retry finds no upload, and
        // the object — there, whole — counts as written.
        try await faults(#"[{"method":"POST","contains":"/fault-lake/lost.bin?uploadId=","status":500,"code":"InternalError","times":1,"after":true},{"method":"POST","contains":"/fault-lake/lost.bin?uploadId=","status":404,"code":"NoSuchUpload","times":1}]"#)
        try await client.upload(bucket: "fault-lake", key: "lost.bin", body: big)
        #expect(try await client.getObject(bucket: "fault-lake", key: "lost.bin") == big)

        try await faults(#"[{"method":"PUT","contains":"partNumber=2","status":400,"code":"InvalidArgument","times":-1}]"#)
        do {
            try await client.upload(bucket: "fault-lake", key: "broken.bin", body: big)
            Issue.record("an upload whose part always fails succeeded")
        } catch {
            #expect(error.code == "InvalidArgument" && error.operation == "UploadPart" && !error.isRetriable, "\(error)")
        }
        #expect(try await client.incompleteUploads(bucket: "fault-lake").isEmpty)
        let log = String(decoding: try await control.send(HTTPRequest(.get, base + "/__log")).body, as: UTF8.self)
        #expect(log.contains("DELETE /fault-lake/broken.bin?uploadId="), "\(log)")
        let lost = log.split(separator: "\n").filter { $0.hasPrefix("POST /fault-lake/lost.bin?uploadId=") }.map { String($0.split(separator: " ").last!) }
        // Completed, the answer lost, the retry told the upload is gone (as S3 may; moto would say 200).
        #expect(lost == ["200", "(injected)", "(injected)"], "\(lost)")
        #expect(log.contains("HEAD /fault-lake/lost.bin -> 200"), "\(log)")
        #expect(log.components(separatedBy: "/fault-lake/small.json -> 503 (injected)").count == 3)  // two injected, then through

        try await faults(#"[{"method":"PUT","contains":"/fault-lake/never.json","status":503,"code":"SlowDown","times":-1}]"#)
        do {
            try await client.upload(bucket: "fault-lake", key: "never.json", body: [1])
            Issue.record("an always-throttled upload succeeded")
        } catch {
            #expect(error.code == "SlowDown" && error.status == 503 && error.isRetriable, "\(error)")
            #expect("\(error)".contains("s3://fault-lake/never.json"))
        }
    }

    @Test("connect standalone: DataGen → S3SinkConnector on moto (path style, Parquet and JSON) and on nanio (SigV4, credentials from the environment): Confluent's keys, every id once")
    func standaloneToS3() async throws {
        guard let moto = try s3URL(), let nanio = try s3URL("CONNECTKIT_S3_SIGNED_URL") else { return }
        let setup = S3Client(.init(endpoint: moto, region: "us-east-1", pathStyle: true, credentials: signedKey))  // moto answers unsigned GETs 403
        defer { setup.shutdown() }
        try await setup.createBucket("my-data-lake")
        let signed = S3Client(.init(endpoint: nanio, region: "us-east-1", pathStyle: true, credentials: signedKey))
        defer { signed.shutdown() }
        try await signed.createBucket("signed-data-lake")

        let dir = try temporaryDirectory("connectkit-s3")
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try "offset.storage.file.filename=\(path("offsets"))\noffset.flush.interval.ms=100\nlisteners=http://127.0.0.1:0\n".write(toFile: path("worker.properties"), atomically: true, encoding: .utf8)
        try #"{"name": "gen", "config": {"connector.class": "DataGen", "kafka.topic": "orders", "iterations": "1000", "batch.size": "50", "rate": "2000"}}"#
            .write(toFile: path("source.json"), atomically: true, encoding: .utf8)
        // The seed's configuration, with the store's URL.
        try """
            {"name": "s3-sink", "config": {"connector.class": "io.confluent.connect.s3.S3SinkConnector", "topics": "orders",
              "s3.bucket.name": "my-data-lake", "s3.region": "us-east-1", "store.url": "\(moto)",
              "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat", "flush.size": "100"}}
            """.write(toFile: path("parquet.json"), atomically: true, encoding: .utf8)
        try """
            {"name": "s3-json", "config": {"connector.class": "io.confluent.connect.s3.S3SinkConnector", "topics": "orders",
              "s3.bucket.name": "signed-data-lake", "s3.region": "us-east-1", "store.url": "\(nanio)", "s3.object.tagging": "true",
              "format.class": "io.confluent.connect.s3.format.json.JsonFormat", "flush.size": "250"}}
            """.write(toFile: path("json.json"), atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = connectBinary()
        p.arguments = ["standalone", path("worker.properties"), path("source.json"), path("parquet.json"), path("json.json"), "--log-level", "error"]
        p.environment = ProcessInfo.processInfo.environment.merging(["AWS_ACCESS_KEY_ID": "connectkit-key", "AWS_SECRET_ACCESS_KEY": "connectkit-secret"]) { $1 }
        p.standardOutput = FileHandle.nullDevice
        let err = dir.appendingPathComponent("err.log")
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        let expectedParquet = (0..<10).map { String(format: "topics/orders/partition=0/orders+0+%010d.snappy.parquet", $0 * 100) }
        let expectedJSON = (0..<4).map { String(format: "topics/orders/partition=0/orders+0+%010d.json", $0 * 250) }
        let deadline = ContinuousClock.now + .seconds(60)
        var parquet: [String] = [], json: [String] = []
        while ContinuousClock.now < deadline {
            parquet = try await setup.listObjects(bucket: "my-data-lake", prefix: "topics/")
            json = try await signed.listObjects(bucket: "signed-data-lake", prefix: "topics/")
            if parquet.count >= expectedParquet.count && json.count >= expectedJSON.count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        p.interrupt()
        p.waitUntilExit()
        #expect(parquet == expectedParquet, "\((try? String(contentsOf: err, encoding: .utf8)) ?? "")")
        #expect(json == expectedJSON)
        // Every id once: JSON lines read here, Parquet objects downloaded and read by pyarrow.
        var ids: [Int] = []
        for key in json {
            for line in String(decoding: try await signed.getObject(bucket: "signed-data-lake", key: key), as: UTF8.self).split(separator: "\n") {
                if case .number(let n)? = try JSONValue.parse(String(line))["id"] { ids.append(Int(n)!) }
            }
        }
        #expect(ids == Array(0..<1000))
        let local = dir.appendingPathComponent("parquet")
        try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
        for (i, key) in parquet.enumerated() {
            try Data(try await setup.getObject(bucket: "my-data-lake", key: key)).write(to: local.appendingPathComponent(String(format: "%02d.parquet", i)))
        }
        let check = """
            import json, sys, glob, pyarrow.parquet as pq
            ids = []
            for f in sorted(glob.glob(sys.argv[1] + "/*.parquet")):
                ids += [r["id"] for r in pq.read_table(f).to_pylist()]
            print(json.dumps({"ok": ids == list(range(1000)), "n": len(ids)}))
            """
        let (status, output) = try await runProgram("/usr/bin/env", ["python3", "-c", check, local.path])
        #expect(status == 0 && output.contains(#""ok": true"#), "\(output)")
    }

    @Test("SSE-C: s3.sse.customer.key with s3.ssea.name=AES256 — PutObject, CreateMultipartUpload and every UploadPart carry the key (a proxy keeping S3's SSE-C rules in front of moto); the objects read back only with it; a bad key is a config error without its value; a key without AES256 is a warning; the key is never printed")
    func customerKeys() async throws {
        guard let moto = try s3URL() else { return }
        let script = repositoryRoot.appendingPathComponent("scripts/test-servers/s3_fault_proxy.py").path
        let proxy = try await LocalServerProcess("/usr/bin/env", ["python3", script, "--upstream", moto, "--sse-c"])
        defer { proxy.stop() }
        let base = "http://127.0.0.1:\(try #require(proxy.port()))"
        // A 256-bit key in base64, and another one.
        let keyText = Data((0..<32).map { UInt8($0 * 7 + 3) }).base64EncodedString()
        let otherText = Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString()
        let admin = S3Client(.init(endpoint: base, region: "us-east-1", pathStyle: true, credentials: signedKey))
        defer { admin.shutdown() }
        try await admin.createBucket("sse-c-lake")
        let settings = ["s3.bucket.name": "sse-c-lake", "store.url": base, "s3.region": "us-east-1", "aws.access.key.id": "connectkit-key",
                        "aws.secret.access.key": "connectkit-secret", "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
                        "s3.ssea.name": "AES256", "s3.sse.customer.key": keyText, "s3.part.size": "5242880", "flush.size": "3"]
        let task = S3SinkTask()
        try await task.start(settings)
        // Three small records (PutObject), then three of 2 MiB each (a 6 MiB object: multipart, 2 parts).
        let small = (0..<3).map { SinkRecord(topic: "secret", partition: 0, valueSchema: nil, value: .string("s\($0)"), offset: Int64($0)) }
        let pad = String(repeating: "p", count: 2 << 20)
        let large = (3..<6).map { SinkRecord(topic: "secret", partition: 0, valueSchema: nil, value: .string("\($0)" + pad), offset: Int64($0)) }
        try await task.put(small + large)
        let committed = try await task.preCommit([TopicPartition(topic: "secret", partition: 0): OffsetAndMetadata(offset: 6)])
        try await task.stop()
        #expect(committed.values.first?.offset == 6)
        let keys = ["topics/secret/partition=0/secret+0+0000000000.json", "topics/secret/partition=0/secret+0+0000000003.json"]
        #expect(try await admin.listObjects(bucket: "sse-c-lake") == keys)
        // Without the key, S3 refuses to read them; with another key too; with the key they read back.
        for key in keys {
            do {
                _ = try await admin.getObject(bucket: "sse-c-lake", key: key)
                Issue.record("\(key) was read without its customer key")
            } catch { #expect(error.code == "InvalidRequest" && error.status == 400, "\(error)") }
        }
        let other = S3Client(.init(endpoint: base, region: "us-east-1", pathStyle: true, credentials: signedKey, customerKey: try S3CustomerKey(base64: Password(otherText))))
        defer { other.shutdown() }
        do {
            _ = try await other.getObject(bucket: "sse-c-lake", key: keys[1])
            Issue.record("read with another customer key")
        } catch { #expect(error.code == "AccessDenied", "\(error)") }
        let reader = S3Client(.init(endpoint: base, region: "us-east-1", pathStyle: true, credentials: signedKey, customerKey: try S3CustomerKey(base64: Password(keyText))))
        defer { reader.shutdown() }
        #expect(String(decoding: try await reader.getObject(bucket: "sse-c-lake", key: keys[0]), as: UTF8.self) == "\"s0\"\n\"s1\"\n\"s2\"\n")
        let big = try await reader.getObject(bucket: "sse-c-lake", key: keys[1])
        #expect(big.count == 3 * (pad.utf8.count + 4) && big.prefix(2) == Array("\"3".utf8)[...])
        #expect(try await reader.objectSize(bucket: "sse-c-lake", key: keys[1]) == big.count)
        // Every write carried the key: the small PutObject, the upload's creation and both parts.
        let control = HTTPClient()
        defer { control.shutdown() }
        let log = String(decoding: try await control.send(HTTPRequest(.get, base + "/__log")).body, as: UTF8.self).split(separator: "\n")
        let writes = log.filter { ($0.hasPrefix("PUT /sse-c-lake/topics") || $0.hasPrefix("POST /sse-c-lake/topics")) && !$0.contains("?uploadId=") || $0.contains("partNumber=") }
        #expect(writes.count == 4 && writes.allSatisfy { $0.hasSuffix("-> 200 [sse-c]") }, "\(writes)")

        // A key that is not base64 of 32 bytes: a config error naming the key, never its value.
        for bad in ["not base64!", Data(repeating: 1, count: 16).base64EncodedString()] {
            do {
                _ = try S3SinkConfig(settings.merging(["s3.sse.customer.key": bad]) { $1 })
                Issue.record("accepted a bad customer key")
            } catch {
                #expect(error.problems.map(\.key) == ["s3.sse.customer.key"] && "\(error)".contains("256-bit"), "\(error)")
                #expect(!"\(error)".contains(bad))
            }
        }
        // As the AWS SDK, the key goes only over HTTPS — or to this machine's loopback.
        do {
            _ = try S3SinkConfig(settings.merging(["store.url": "http://s3.example.com:9000"]) { $1 })
            Issue.record("a customer key accepted for a plain-HTTP store elsewhere")
        } catch {
            #expect(error.problems.map(\.key) == ["s3.sse.customer.key"] && "\(error)".contains("HTTPS must be used"), "\(error)")
            #expect(!"\(error)".contains(keyText))
        }
        for url in ["https://s3.example.com", "http://localhost:9000", "http://[::1]:9000", base] {
            guard case .s3(let c) = try S3SinkConfig(settings.merging(["store.url": url]) { $1 }).store else { Issue.record("\(url)"); continue }
            #expect(c.customerKey != nil, "\(url)")
        }
        // Only Confluent's storage class.
        #expect(throws: ConfigError.self) { _ = try S3SinkConfig(settings.merging(["storage.class": "io.confluent.connect.storage.hdfs.HdfsStorage"]) { $1 }) }
        // Without AES256 the key does nothing (as Confluent's): said, not silent.
        let kms = try S3SinkConfig(settings.merging(["s3.ssea.name": "aws:kms"]) { $1 })
        #expect(kms.warnings.contains { $0.contains("s3.sse.customer.key has no effect") })
        // The key shows nowhere: the config, the client configuration, dump.
        let config = try S3SinkConfig(settings)
        var dumped = ""
        dump(config, to: &dumped)
        for text in [dumped, "\(config)", "\(reader.configuration)", String(reflecting: reader.configuration)] {
            #expect(!text.contains(keyText))
        }
    }

    @Test("a missing bucket or wrong credentials fail the task at start with one clear error (bucket, endpoint, region; not the secret)")
    func badStoreFailsTheTaskClearly() async throws {
        guard let nanio = try s3URL("CONNECTKIT_S3_SIGNED_URL") else { return }
        for (bucket, secret, expected) in [("absent-bucket", "connectkit-secret", "NoSuchBucket"), ("signed-lake", "not-the-secret", "AccessDenied")] {
            let task = S3SinkTask()
            do {
                try await task.start([
                    "s3.bucket.name": bucket, "s3.region": "us-east-1", "store.url": nanio, "aws.access.key.id": "connectkit-key",
                    "aws.secret.access.key": secret, "format.class": "io.confluent.connect.s3.format.json.JsonFormat", "flush.size": "10",
                ])
                Issue.record("the task started against \(bucket)")
            } catch {
                let text = "\(error)"
                #expect(text.contains(expected) && text.contains("s3://\(bucket)") && text.contains(nanio) && text.contains("us-east-1"), "\(text)")
                #expect(!text.contains(secret))
            }
            try await task.stop()
        }
    }
}
