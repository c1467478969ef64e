package dev.diffusion.security;

/**
 * A caller that presented a valid API key.
 *
 * @param name  the key's name, for logs; never the key
 * @param owner the id that jobs of this key carry: a SHA-256 digest of the key, from which the key cannot be read
 */
public record ApiClient(String name, String owner) {
}
