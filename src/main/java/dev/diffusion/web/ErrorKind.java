package dev.diffusion.web;

/**
 * What kind of refusal a filter makes, for the features whose clients expect their own error shape (OpenAI's SDKs tell
 * a bad request from a bad key from a rate limit by type and code, not only by status).
 */
public enum ErrorKind {
    INVALID_REQUEST,
    INVALID_API_KEY,
    RATE_LIMITED
}
