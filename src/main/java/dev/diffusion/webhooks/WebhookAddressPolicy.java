package dev.diffusion.webhooks;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where webhooks may go (server-side request forgery). A URL must be absolute http or https without user info, and
 * every address its host resolves to must be public: loopback, private, link-local, unique-local, shared (CGNAT),
 * multicast, unspecified, documentation and other reserved ranges are refused, also when an IPv6 address embeds such
 * an IPv4 one (mapped, NAT64, 6to4), unless {@code diffusion.webhooks.allowed-hosts} lists the host name, or a CIDR
 * range or address that holds the address. The check is on resolved addresses, and the sender connects to exactly
 * the addresses checked, so a second DNS answer cannot swap in another.
 */
public final class WebhookAddressPolicy {

    static final int MAX_URL_LENGTH = 2048;

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final String LABEL = "[a-z0-9]([a-z0-9-]*[a-z0-9])?";
    private static final Pattern HOST_NAME = Pattern.compile(LABEL + "(\\." + LABEL + ")*");

    /** The first range holding an address says why it is refused; narrow ranges come before the wide ones. */
    private static final List<Range> NOT_PUBLIC = List.of(
            Range.of("0.0.0.0/8", "an unspecified address"),
            Range.of("10.0.0.0/8", "a private address"),
            Range.of("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
            Range.of("127.0.0.0/8", "a loopback address"),
            Range.of("169.254.0.0/16", "a link-local address"),
            Range.of("172.16.0.0/12", "a private address"),
            Range.of("192.0.0.0/24", "a reserved address"),
            Range.of("192.0.2.0/24", "a documentation address"),
            Range.of("192.88.99.0/24", "a reserved address"),
            Range.of("192.168.0.0/16", "a private address"),
            Range.of("198.18.0.0/15", "a reserved address"),
            Range.of("198.51.100.0/24", "a documentation address"),
            Range.of("203.0.113.0/24", "a documentation address"),
            Range.of("224.0.0.0/4", "a multicast address"),
            Range.of("240.0.0.0/4", "a reserved address"),
            Range.of("::/128", "an unspecified address"),
            Range.of("::1/128", "a loopback address"),
            Range.of("::/96", "an IPv4-compatible address"),
            Range.of("100::/64", "a discard address"),
            Range.of("2001::/23", "a reserved address"),
            Range.of("2001:db8::/32", "a documentation address"),
            Range.of("64:ff9b:1::/48", "a local NAT64 address"),
            Range.of("fc00::/7", "a unique-local address"),
            Range.of("fe80::/10", "a link-local address"),
            Range.of("fec0::/10", "a site-local address"),
            Range.of("ff00::/8", "a multicast address"));
    /** IPv6 forms that carry an IPv4 address (Java hands IPv4-mapped ones over as IPv4 already): NAT64, 6to4. */
    private static final List<Embedding> EMBEDDING_IPV4 = List.of(
            new Embedding(Range.of("64:ff9b::/96", "NAT64"), 12),
            new Embedding(Range.of("2002::/16", "6to4"), 2));

    private final Set<String> allowedNames;
    private final List<Range> allowedRanges;

    /**
     * @param allowedHosts host names, addresses and CIDR ranges (IPv4 or IPv6) that may be webhook targets although
     *                     they are not public
     * @throws IllegalArgumentException for an entry that is none of these
     */
    public WebhookAddressPolicy(List<String> allowedHosts) {
        List<String> names = new ArrayList<>();
        List<Range> ranges = new ArrayList<>();
        for (String entry : allowedHosts) {
            String host = normalized(entry);
            if (host.contains("/") || host.contains(":") || IPV4.matcher(host).matches()) {
                ranges.add(Range.of(host, "allowed"));
            } else if (HOST_NAME.matcher(host).matches()) {
                names.add(host);
            } else {
                throw new IllegalArgumentException("diffusion.webhooks.allowed-hosts: '" + entry
                        + "' is neither a host name, an address nor a CIDR range");
            }
        }
        this.allowedNames = Set.copyOf(names);
        this.allowedRanges = List.copyOf(ranges);
    }

    /**
     * The URL, if its form may be a webhook (this looks nothing up).
     *
     * @throws WebhookTargetException saying what is wrong
     */
    public URI parse(String url) {
        if (url == null || url.isBlank()) {
            throw new WebhookTargetException("webhook must be an absolute http or https URL");
        }
        if (url.length() > MAX_URL_LENGTH) {
            throw new WebhookTargetException("webhook URL is longer than " + MAX_URL_LENGTH + " characters");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new WebhookTargetException("webhook is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new WebhookTargetException("webhook must be an absolute http or https URL");
        }
        if (uri.getHost() == null) {
            throw new WebhookTargetException("webhook URL has no valid host");
        }
        if (uri.getRawUserInfo() != null) {
            throw new WebhookTargetException("webhook URL may not carry user info");
        }
        if (uri.getPort() == 0) {
            throw new WebhookTargetException("webhook URL has port 0");
        }
        return uri;
    }

    /**
     * Every address the URL's host has, each of them allowed; the sender connects to these and no others.
     *
     * @throws WebhookTargetException when any of them may not be a webhook target
     * @throws UnknownHostException   when the host has no address
     */
    public List<InetAddress> resolve(URI target) throws UnknownHostException {
        String host = normalized(target.getHost());
        List<InetAddress> addresses = List.of(InetAddress.getAllByName(host)); // literals are parsed, not looked up
        if (!allowedNames.contains(host)) {
            for (InetAddress address : addresses) {
                String refusal = refusal(address);
                if (refusal != null) {
                    throw new WebhookTargetException("webhook host " + host + " is " + (isLiteral(host) ? "" : "at ")
                            + refusal + ", which diffusion.webhooks.allowed-hosts does not list");
                }
            }
        }
        return addresses;
    }

    /** Why the address may not be a webhook target, or null if it may. */
    String refusal(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (allowedRanges.stream().anyMatch(range -> range.contains(bytes))) {
            return null;
        }
        for (Range range : NOT_PUBLIC) {
            if (range.contains(bytes)) {
                return range.meaning();
            }
        }
        for (Embedding embedding : EMBEDDING_IPV4) {
            if (embedding.form().contains(bytes)) {
                try {
                    int at = embedding.offset();
                    String embedded = refusal(InetAddress.getByAddress(Arrays.copyOfRange(bytes, at, at + 4)));
                    return embedded == null ? null : embedded + " inside an " + embedding.form().meaning() + " one";
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e); // four bytes are always an address
                }
            }
        }
        return null;
    }

    private static String normalized(String host) {
        String name = host.strip().toLowerCase(Locale.ROOT);
        if (name.startsWith("[") && name.endsWith("]")) {
            name = name.substring(1, name.length() - 1);
        }
        return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }

    private static boolean isLiteral(String host) {
        return host.contains(":") || IPV4.matcher(host).matches();
    }

    /** An IPv6 form that carries an IPv4 address at {@code offset}. */
    private record Embedding(Range form, int offset) {
    }

    /** An address range: the network's bytes and the prefix length, and what an address in it is. */
    private record Range(byte[] network, int prefix, String meaning) {

        static Range of(String cidr, String meaning) {
            int slash = cidr.indexOf('/');
            String address = slash < 0 ? cidr : cidr.substring(0, slash);
            if (!address.contains(":") && !IPV4.matcher(address).matches()) {
                throw new IllegalArgumentException("'" + cidr + "' is not an IP address or CIDR range");
            }
            byte[] network;
            try {
                network = InetAddress.getByName(address).getAddress(); // a literal: no lookup
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("'" + cidr + "' is not an IP address or CIDR range");
            }
            int bits = network.length * 8;
            int prefix = bits;
            if (slash >= 0) {
                try {
                    prefix = Integer.parseInt(cidr.substring(slash + 1));
                } catch (NumberFormatException e) {
                    prefix = -1;
                }
                if (address.contains(":") && network.length == 4) {
                    prefix -= 96; // an IPv4-mapped range, which Java hands over as IPv4
                }
                if (prefix < 0 || prefix > bits) {
                    throw new IllegalArgumentException("'" + cidr + "' has a prefix length outside 0.." + bits);
                }
            }
            return new Range(network, prefix, meaning);
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            for (int bit = 0; bit < prefix; bit += 8) {
                int mask = prefix - bit >= 8 ? 0xff : 0xff << (8 - (prefix - bit)) & 0xff;
                if ((address[bit / 8] & mask) != (network[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }
}
