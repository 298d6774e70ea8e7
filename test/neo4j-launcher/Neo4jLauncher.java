// A throwaway Neo4j 5.26 Community server for memarc's tests, run in-process from the jars
// scripts/setup-neo4j.sh copies from Maven Central (no distribution tarball, no service).
//
// Usage: java -cp 'lib/*:classes' Neo4jLauncher <home> <port> <password>
//
// Bolt listens on 127.0.0.1:<port> only, unencrypted, with auth on; the password is set before
// the first start (AdminTool's `dbms set-initial-password`, which needs 8 characters or more).
// Prints "READY <port>" on stdout once the default database is available, then runs until it
// receives SIGTERM/SIGINT or its standard input closes (its parent died), and shuts down cleanly.
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.neo4j.cli.AdminTool;
import org.neo4j.cli.ExecutionContext;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

public final class Neo4jLauncher {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: Neo4jLauncher <home> <port> <password>");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        String password = args[2];
        Files.createDirectories(home.resolve("conf"));

        // Only before the first start: afterwards the system database already holds a password.
        if (!Files.exists(home.resolve("data"))) {
            int rc = AdminTool.execute(new ExecutionContext(home, home.resolve("conf")), "dbms", "set-initial-password", password);
            if (rc != 0) {
                System.err.println("set-initial-password failed with " + rc);
                System.exit(1);
            }
        }

        SocketAddress address = new SocketAddress("127.0.0.1", port);
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
            .setConfig(BoltConnector.enabled, true)
            .setConfig(BoltConnector.listen_address, address)
            .setConfig(BoltConnector.advertised_address, address) // neo4j:// URIs route to it
            .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
            .setConfig(GraphDatabaseSettings.auth_enabled, true)
            .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(64))
            .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
            // The defaults wait up to 5 minutes for Bolt workers at shutdown.
            .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
            .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
            .build();

        Thread stopper = new Thread(dbms::shutdown, "neo4j-shutdown");
        Runtime.getRuntime().addShutdownHook(stopper);

        if (!dbms.database("neo4j").isAvailable(120_000)) {
            System.err.println("the database did not become available within 120 s; see " + home.resolve("logs/debug.log"));
            System.exit(1);
        }
        System.out.println("READY " + port);
        System.out.flush();

        // The parent holds our stdin open; EOF means it is gone, so do not outlive it.
        while (System.in.read() != -1) {
            // ignore input
        }
        System.exit(0); // runs the shutdown hook
    }
}
