package dev.diffusion.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The mask blur and the overlay against what Pillow computes for diffusers' inpainting, to the level: reference
 * outputs made once by {@code src/training/image_ops/pil_references.py} (Pillow's {@code GaussianBlur} and
 * diffusers' {@code apply_overlay}, which the inpainting parity with diffusers depends on).
 */
class PillowReferencesTest {

    private static final Path REFERENCES = Path.of("src/test/resources/image");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void theMaskBlurIsPillowsGaussianBlurToTheLevel() {
        List<String> mismatches = new ArrayList<>();
        JsonNode cases = JSON.readTree(REFERENCES.resolve("pil-gaussian-blur.json").toFile()).get("cases");
        assertThat(cases.size()).isGreaterThan(10);
        for (JsonNode blur : cases) {
            int width = blur.get("width").asInt();
            int height = blur.get("height").asInt();
            float radius = (float) blur.get("radius").asDouble();

            byte[] blurred = GaussianBlur.blur(bytes(blur, "input"), width, height, radius);

            byte[] expected = bytes(blur, "expected");
            for (int p = 0; p < expected.length; p++) {
                if (blurred[p] != expected[p]) {
                    mismatches.add(blur.get("name").asString() + " radius " + radius + " pixel " + p + ": "
                            + (blurred[p] & 0xff) + " not " + (expected[p] & 0xff));
                    break;
                }
            }
        }
        assertThat(mismatches).isEmpty();
    }

    @Test
    void theOverlayIsDiffusersApplyOverlayToTheLevel() {
        JsonNode cases = JSON.readTree(REFERENCES.resolve("pil-apply-overlay.json").toFile()).get("cases");
        assertThat(cases.size()).isEqualTo(2);
        for (JsonNode overlay : cases) {
            int width = overlay.get("width").asInt();
            int height = overlay.get("height").asInt();

            RgbImage result = Overlay.apply(new Mask(width, height, bytes(overlay, "mask")),
                    new RgbImage(width, height, bytes(overlay, "init")),
                    new RgbImage(width, height, bytes(overlay, "generated")), null);

            assertThat(result.rgb()).as(overlay.get("name").asString()).isEqualTo(bytes(overlay, "expected"));
        }
    }

    private static byte[] bytes(JsonNode node, String field) {
        return Base64.getDecoder().decode(node.get(field).asString());
    }
}
