package dev.diffusion.api.a1111;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * The answer of {@code txt2img} and {@code img2img}, in AUTOMATIC1111's shape.
 *
 * @param images     base64 PNGs, one per image (no grid image)
 * @param parameters the request as it came
 * @param info       a JSON document in a string, as A1111 answers it: {@link A1111Info}
 */
public record A1111Response(
        @Schema(description = "Base64 PNGs with A1111's 'parameters' text chunk, batch_size × n_iter of them; no "
                + "grid image") List<String> images,
        A1111Request parameters,
        @Schema(description = "A JSON document in a string: seed, all_seeds, infotexts, ... as A1111 writes it")
        String info) {
}
