package dev.diffusion.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS although the sender connects to an address it resolved itself: the certificate is still checked against the
 * URL's host name. Certificates are made for the test with the JDK's keytool.
 */
class WebhooksTlsTest {

    private static final char[] PASSWORD = "changeit".toCharArray();

    @TempDir
    Path folder;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void deliversOverHttpsToAReceiverWhoseCertificateNamesTheHost() throws Exception {
        KeyStore keys = keyStore("localhost", "SAN=dns:localhost,ip:127.0.0.1");
        TestSettings settings = new TestSettings();
        settings.allowedHosts = List.of("localhost", "127.0.0.1");
        try (Receiver receiver = new Receiver(serverContext(keys));
                Webhooks webhooks = webhooks(settings, clientContext(keys))) {
            webhooks.enqueue(new WebhookDelivery("job-1", WebhookEvent.SUCCEEDED,
                    "https://localhost:" + receiver.port() + "/tls", null, "{\"a\":1}"));
            webhooks.enqueue(new WebhookDelivery("job-1", WebhookEvent.SUCCEEDED, receiver.url("/by-address"), null,
                    "{\"a\":2}"));

            await().until(() -> count("delivered") == 2);
            assertThat(receiver.requests()).extracting(Receiver.Request::path).containsExactly("/tls", "/by-address");
            assertThat(StandardWebhooksVerifier.verifies(TestSettings.SECRET, receiver.requests().get(0))).isTrue();
        }
    }

    @Test
    void refusesAReceiverWhoseCertificateNamesAnotherHost() throws Exception {
        KeyStore keys = keyStore("other.example", "SAN=dns:other.example");
        TestSettings settings = new TestSettings();
        settings.allowedHosts = List.of("localhost");
        settings.maxAttempts = 2;
        try (Receiver receiver = new Receiver(serverContext(keys));
                Webhooks webhooks = webhooks(settings, clientContext(keys))) {
            webhooks.enqueue(new WebhookDelivery("job-1", WebhookEvent.SUCCEEDED,
                    "https://localhost:" + receiver.port() + "/", null, "{}"));

            await().until(() -> count("dropped") == 1);
            assertThat(receiver.requests()).isEmpty();
            assertThat(count("delivered")).isZero();
        }
    }

    private Webhooks webhooks(TestSettings settings, SSLContext client) {
        Webhooks webhooks = new Webhooks(settings.properties(), new InMemoryWebhookOutbox(100), registry,
                Clock.systemUTC(), client.getSocketFactory());
        webhooks.start();
        return webhooks;
    }

    private double count(String outcome) {
        return registry.get(Webhooks.METRIC).tag("outcome", outcome).counter().count();
    }

    /** A key pair and self-signed certificate for {@code name}, made by keytool. */
    private KeyStore keyStore(String name, String subjectAlternativeNames) throws Exception {
        Path file = folder.resolve(name + ".p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "receiver", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=" + name, "-ext", subjectAlternativeNames, "-storetype", "PKCS12",
                "-keystore", file.toString(), "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes());
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).as(output).isZero();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            keys.load(in, PASSWORD);
        }
        return keys;
    }

    private static SSLContext serverContext(KeyStore keys) throws Exception {
        KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        managers.init(keys, PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(managers.getKeyManagers(), null, null);
        return context;
    }

    /** Trusts the receiver's self-signed certificate, and nothing else. */
    private static SSLContext clientContext(KeyStore keys) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("receiver", keys.getCertificate("receiver"));
        TrustManagerFactory managers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        managers.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, managers.getTrustManagers(), null);
        return context;
    }
}
