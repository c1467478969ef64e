package dev.diffusion.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Which addresses may be webhook targets; only literals and localhost are looked up here (no DNS). */
class WebhookAddressPolicyTest {

    private final WebhookAddressPolicy nothingListed = new WebhookAddressPolicy(List.of());

    @ParameterizedTest
    @CsvSource({
            "127.0.0.1, loopback", "127.255.0.9, loopback", "::1, loopback",
            "10.1.2.3, private", "172.16.0.1, private", "172.31.255.255, private", "192.168.1.1, private",
            "169.254.169.254, link-local", "fe80::1, link-local",
            "fc00::1, unique-local", "fd12:3456::1, unique-local",
            "100.64.0.1, carrier-grade NAT", "100.127.255.254, carrier-grade NAT",
            "224.0.0.1, multicast", "239.255.255.250, multicast", "ff02::1, multicast",
            "0.0.0.0, unspecified", "::, unspecified",
            "255.255.255.255, reserved", "240.0.0.1, reserved", "198.18.0.1, reserved",
            "192.0.2.1, documentation", "2001:db8::1, documentation",
            "::ffff:127.0.0.1, loopback", "::ffff:10.0.0.1, private", "::ffff:169.254.169.254, link-local",
            "::127.0.0.1, IPv4-compatible", "64:ff9b::7f00:1, loopback address inside an NAT64",
            "64:ff9b::a00:1, private address inside an NAT64", "2002:c0a8:101::1, private address inside an 6to4",
            "2001::1, reserved", "fec0::1, site-local"})
    void refusesAddressesThatAreNotPublic(String address, String why) throws Exception {
        assertThat(nothingListed.refusal(InetAddress.getByName(address))).contains(why);
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "169.255.0.1",
            "2606:4700:4700::1111", "2a00:1450:4001::200e", "64:ff9b::808:808", "2002:808:808::1",
            "::ffff:8.8.8.8"})
    void letsPublicAddressesThrough(String address) throws Exception {
        assertThat(nothingListed.refusal(InetAddress.getByName(address))).isNull();
    }

    @Test
    void allowedHostsListNamesAddressesAndRangesOfEitherFamily() throws Exception {
        WebhookAddressPolicy policy = new WebhookAddressPolicy(
                List.of("127.0.0.0/8", "::1", "10.1.0.0/16", "fd00:ec2::/32", "Receiver.Internal.", "[fe80::7]"));

        assertThat(policy.refusal(InetAddress.getByName("127.0.0.1"))).isNull();
        assertThat(policy.refusal(InetAddress.getByName("::1"))).isNull();
        assertThat(policy.refusal(InetAddress.getByName("10.1.200.3"))).isNull();
        assertThat(policy.refusal(InetAddress.getByName("10.2.0.1"))).contains("private");
        assertThat(policy.refusal(InetAddress.getByName("fd00:ec2::254"))).isNull();
        assertThat(policy.refusal(InetAddress.getByName("fd00:ec3::1"))).contains("unique-local");
        assertThat(policy.refusal(InetAddress.getByName("fe80::7"))).isNull();
        assertThat(policy.refusal(InetAddress.getByName("fe80::8"))).contains("link-local");
        assertThat(policy.refusal(InetAddress.getByName("64:ff9b::7f00:1"))).as("embedded, and listed").isNull();
    }

    @Test
    void aListedHostNameAllowsWhateverItResolvesTo() throws Exception {
        assertThat(new WebhookAddressPolicy(List.of("localhost")).resolve(URI.create("http://localhost:9/")))
                .isNotEmpty().allMatch(InetAddress::isLoopbackAddress);
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://localhost:8080/hook", "http://LOCALHOST./hook", "http://127.0.0.1/",
            "https://[::1]:8443/", "http://[::ffff:127.0.0.1]/", "http://2130706433/",
            "http://[0:0:0:0:0:ffff:7f00:1]/", "http://0.0.0.0:8080/", "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/"})
    void refusesTargetsThatResolveToLoopbackOrInternalAddresses(String url) {
        assertThatThrownBy(() -> nothingListed.resolve(nothingListed.parse(url)))
                .isInstanceOf(WebhookTargetException.class)
                .hasMessageContaining("diffusion.webhooks.allowed-hosts does not list");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "hooks.example.com/x", "/relative", "ftp://example.com/", "file:///etc/passwd",
            "gopher://example.com/", "http://", "http:///path", "http://user:pass@example.com/", "http://a_b.example/",
            "http://example.com:0/", "http://exa mple.com/", "javascript:alert(1)", "http://127.1/"})
    void refusesUrlsOfTheWrongForm(String url) {
        assertThatThrownBy(() -> nothingListed.parse(url)).isInstanceOf(WebhookTargetException.class);
    }

    @Test
    void refusesVeryLongUrls() {
        String url = "https://example.com/" + "a".repeat(WebhookAddressPolicy.MAX_URL_LENGTH);

        assertThatThrownBy(() -> nothingListed.parse(url)).hasMessageContaining("longer than");
        assertThat(nothingListed.parse("HTTPS://Example.com:8443/hooks?a=1")).hasHost("Example.com");
    }

    @ParameterizedTest
    @ValueSource(strings = {"*.example.com", "10.0.0.0/33", "::1/129", "300.1.1.1", "exa mple", "1.2.3.4/x", ""})
    void refusesAllowedHostsItCannotRead(String entry) {
        assertThatThrownBy(() -> new WebhookAddressPolicy(List.of(entry)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
