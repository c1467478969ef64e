package dev.diffusion.api.openai;

/** An error of OpenAI's Images API endpoints, in OpenAI's shape, which its clients parse. */
public record OpenAiError(Body error) {

    /**
     * @param type  {@code invalid_request_error} for the client's mistakes, {@code server_error} otherwise
     * @param param the request field at fault, or null
     * @param code  a machine-readable reason, or null
     */
    public record Body(String message, String type, String param, String code) {
    }

    static OpenAiError of(String message, String type, String param, String code) {
        return new OpenAiError(new Body(message, type, param, code));
    }
}
