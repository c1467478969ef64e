package dev.diffusion.api.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** The answer of {@code POST /v1/images/generations} and {@code /v1/images/edits}, in OpenAI's shape. */
public record OpenAiImagesResponse(long created, List<Image> data) {

    /** One image: {@code b64_json} or {@code url}, as the request's {@code response_format} asked. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Image(String b64Json, String url) {
    }
}
