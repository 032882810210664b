import Foundation
import Logging
import Testing
import VecheRuntime
import VecheTestSupport

@Suite("Cluster settings: NATS server lists, reconnect policy, JetStream replicas")
struct ClusterConfigTests {
    @Test func natsURLListAndReplicasComeFromTheEnvironment() throws {
        let config = try VecheConfig(environment: [
            "VECHE_NATS_URL": "nats://127.0.0.1:4401, nats://127.0.0.1:4402,,nats://127.0.0.1:4403",
            "VECHE_JS_REPLICAS": "3", "VECHE_NATS_RECONNECT_WAIT_MS": "100", "VECHE_NATS_RECONNECT_BUFFER": "1048576",
            "VECHE_NATS_RANDOMIZE": "0",
        ])
        #expect(NatsReconnectPolicy.serverList(config.natsURL) == ["nats://127.0.0.1:4401", "nats://127.0.0.1:4402", "nats://127.0.0.1:4403"])
        #expect(config.jsReplicas == 3)
        #expect(config.natsReconnect.reconnectWait == .milliseconds(100))
        #expect(config.natsReconnect.reconnectBufferBytes == 1_048_576)
        #expect(config.natsReconnect.maxReconnects == -1)
        #expect(!config.natsReconnect.randomize)
        let single = try VecheConfig(environment: ["VECHE_JS_REPLICAS": "zero"])
        #expect(single.jsReplicas == 1, "an unreadable replica count falls back to a single server's 1")
        #expect(single.natsReconnect.randomize)
    }

    @Test func connectsThroughADeadServerInTheListToALiveOne() async throws {
        try await withCluster { cluster in
            // Port 1 refuses connections: the client must move on to the live node in the list. The bench user
            // may both serve and call its private `bench.>` subjects.
            let url = "nats://127.0.0.1:1,\(cluster.natsURL)"
            let nats = try await NatsConnection.connect(url: url, name: "list-test", logger: cluster.logger,
                                                        credentials: cluster.busCredentials(of: BusPermissions.bench), connectTimeout: .seconds(30))
            defer { nats.close() }
            let sub = try nats.subscribe(subject: "bench.cluster-echo", queue: nil) { msg in
                if let reply = msg.reply { try? nats.publish(subject: reply, payload: msg.payload) }
            }
            defer { sub.unsubscribe() }
            try await nats.flush()
            let reply = try await nats.request(subject: "bench.cluster-echo", payload: Array("ping".utf8), headers: [:], timeout: .seconds(30))
            #expect(reply == Array("ping".utf8))
        }
    }

    @Test func emptyServerListIsAClearError() async {
        await #expect(throws: NatsError.self) {
            _ = try await NatsConnection.connect(url: " , ", name: "empty", logger: Logger(label: "test"), connectTimeout: .milliseconds(1))
        }
    }
}
