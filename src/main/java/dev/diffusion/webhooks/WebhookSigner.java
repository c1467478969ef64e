package dev.diffusion.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs deliveries as Standard Webhooks defines it: {@code v1,} and the base64 HMAC-SHA256 of
 * {@code <webhook-id>.<webhook-timestamp>.<body>}, keyed with a secret written {@code whsec_} + base64 of 24 to 64
 * random bytes.
 */
public final class WebhookSigner {

    public static final String SECRET_PREFIX = "whsec_";
    private static final String HMAC = "HmacSHA256";
    private static final int MIN_SECRET_BYTES = 24;
    private static final int MAX_SECRET_BYTES = 64;

    private final SecretKeySpec key;

    /** @throws IllegalArgumentException when the secret is not {@code whsec_} + base64 of 24 to 64 bytes */
    public WebhookSigner(String secret) {
        this.key = new SecretKeySpec(decode(secret), HMAC);
    }

    /** The {@code webhook-signature} header's value. */
    public String sign(String messageId, long timestampSeconds, String body) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(key);
            byte[] digest = mac.doFinal((messageId + "." + timestampSeconds + "." + body)
                    .getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is unavailable", e); // every Java runtime has it
        }
    }

    /**
     * Checks a secret's form without keeping it; the message never repeats the secret.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static void check(String secret) {
        decode(secret);
    }

    private static byte[] decode(String secret) {
        if (secret == null || !secret.startsWith(SECRET_PREFIX)) {
            throw new IllegalArgumentException("a webhook secret starts with " + SECRET_PREFIX);
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a webhook secret is " + SECRET_PREFIX + " and base64");
        }
        if (bytes.length < MIN_SECRET_BYTES || bytes.length > MAX_SECRET_BYTES) {
            throw new IllegalArgumentException("a webhook secret holds " + MIN_SECRET_BYTES + " to "
                    + MAX_SECRET_BYTES + " random bytes, not " + bytes.length);
        }
        return bytes;
    }
}
