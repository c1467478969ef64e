package dev.diffusion.api.openai;

import dev.diffusion.web.ErrorKind;
import dev.diffusion.web.ErrorShape;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** The refusals of filters (bad key, rate limit, body too large) on OpenAI's endpoint, in OpenAI's error shape. */
@Component
public class OpenAiErrorShape implements ErrorShape {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Override
    public boolean appliesTo(String path) {
        return path.equals(OpenAiImagesController.PATH) || path.equals(OpenAiImageEditsController.PATH);
    }

    @Override
    public void write(HttpServletResponse response, HttpStatus status, String detail, ErrorKind kind)
            throws IOException {
        OpenAiError error = switch (kind) {
            case INVALID_REQUEST -> OpenAiError.of(detail, OpenAiErrorHandler.INVALID_REQUEST, null, null);
            case INVALID_API_KEY -> OpenAiError.of(detail, OpenAiErrorHandler.INVALID_REQUEST, null,
                    "invalid_api_key");
            case RATE_LIMITED -> OpenAiError.of(detail, OpenAiErrorHandler.RATE_LIMIT, null, "rate_limit_exceeded");
        };
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        JSON.writeValue(response.getOutputStream(), error);
    }
}
