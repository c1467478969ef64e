package dev.diffusion.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The configured API keys, each {@code key} or {@code name:key}. Only SHA-256 digests of the keys are kept, and a
 * presented key is checked against every one of them in constant time, so neither a heap dump nor the time an answer
 * takes tells anything about a key.
 */
public final class ApiKeys {

    /** Shorter keys could be guessed; use random ones, such as {@code openssl rand -hex 32}. */
    public static final int MIN_KEY_LENGTH = 16;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** Owner ids are this many hex digits of the digest (128 bits): no two keys share one. */
    private static final int OWNER_LENGTH = 32;

    private record Entry(String name, byte[] digest, String owner) {
    }

    private final List<Entry> entries;

    private ApiKeys(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * Parses {@code diffusion.security.api-keys}.
     *
     * @throws IllegalArgumentException for a key too short, an invalid name, or a key or name given twice; the
     *                                  message never contains a key
     */
    public static ApiKeys parse(List<String> specs) {
        List<Entry> entries = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<String> owners = new HashSet<>();
        for (int i = 0; i < specs.size(); i++) {
            String spec = specs.get(i).strip();
            int colon = spec.indexOf(':');
            String key = colon < 0 ? spec : spec.substring(colon + 1);
            byte[] digest = sha256(key);
            String owner = HexFormat.of().formatHex(digest).substring(0, OWNER_LENGTH);
            String name = colon < 0 ? "key-" + owner.substring(0, 8) : spec.substring(0, colon);
            String where = "diffusion.security.api-keys[" + i + "]";
            if (key.length() < MIN_KEY_LENGTH) {
                throw new IllegalArgumentException(where + ": a key must have at least " + MIN_KEY_LENGTH
                        + " characters");
            }
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(where + ": a name must be 1..64 of A-Z a-z 0-9 . _ -");
            }
            if (!owners.add(owner) || !names.add(name)) {
                throw new IllegalArgumentException(where + ": this key or name is given twice");
            }
            entries.add(new Entry(name, digest, owner));
        }
        return new ApiKeys(entries);
    }

    /** Whether any key is configured, i.e. whether the API asks for one. */
    public boolean enabled() {
        return !entries.isEmpty();
    }

    /** The client whose key {@code presented} is, if any. */
    public Optional<ApiClient> authenticate(String presented) {
        byte[] digest = sha256(presented);
        Entry found = null;
        // look at every entry, also after a match, so the time taken does not tell which key matched
        for (Entry entry : entries) {
            if (MessageDigest.isEqual(entry.digest(), digest)) {
                found = entry;
            }
        }
        return found == null ? Optional.empty() : Optional.of(new ApiClient(found.name(), found.owner()));
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
