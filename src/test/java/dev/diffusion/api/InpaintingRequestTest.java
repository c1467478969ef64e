package dev.diffusion.api;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.diffusion.api.generate.GenerationController;
import dev.diffusion.catalog.ModelCatalog;
import dev.diffusion.catalog.ModelInfo;
import dev.diffusion.jobs.JobLeases;
import dev.diffusion.jobs.JobService;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.ResultActions;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The inpainting and outpainting fields of {@code POST /generate}: their defaults as the job echoes them, and every
 * way to get them wrong as a 400 naming the field.
 */
@WebMvcTest(controllers = GenerationController.class)
@Import({ApiLayer.class, InpaintingRequestTest.Catalog.class})
class InpaintingRequestTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TestConfiguration
    static class Catalog {
        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }

        @Bean
        ModelCatalog catalog() {
            ModelInfo shapes = new ModelInfo("shapes", 64, 32, 4, 20, 5.0, "ddim", true, false);
            ModelInfo textOnly = new ModelInfo("text-only", 64, 32, 4, 20, 5.0, "ddim", false, false);
            return new ModelCatalog() {
                @Override
                public List<ModelInfo> models() {
                    return List.of(shapes, textOnly);
                }

                @Override
                public ModelInfo defaultModel() {
                    return shapes;
                }

                @Override
                public List<String> schedulers() {
                    return List.of("ddim", "euler");
                }
            };
        }
    }

    @Autowired
    MockMvc mvc;

    @Autowired
    JobService jobs;

    @Autowired
    JobLeases leases;

    @AfterEach
    void drainQueue() throws InterruptedException {
        while (jobs.queueDepth() > 0) {
            leases.takeNext(Duration.ZERO);
        }
    }

    @Test
    void aMaskedJobEchoesEverySettingResolvedWithDiffusersInpaintingStrength() throws Exception {
        generate(edit().put("mask", png(64, 64, false)))
                .andExpect(status().isAccepted())
                .andExpect(jsonPath("$.request.strength").value(1.0))
                .andExpect(jsonPath("$.request.mask_mode").value("luminance"))
                .andExpect(jsonPath("$.request.mask_invert").value(false))
                .andExpect(jsonPath("$.request.mask_blur").value(4))
                .andExpect(jsonPath("$.request.masked_content").value("original"))
                .andExpect(jsonPath("$.request.inpaint_area").value("whole"))
                .andExpect(jsonPath("$.request.inpaint_padding").value(32))
                .andExpect(jsonPath("$.request.mask").doesNotExist())
                .andExpect(jsonPath("$.request.outpaint").doesNotExist());
        generate(edit().put("mask", png(64, 64, true)).put("mask_mode", "alpha").put("mask_invert", true)
                .put("mask_blur", 0).put("masked_content", "latent_noise").put("inpaint_area", "masked")
                .put("inpaint_padding", 8).put("strength", 0.75))
                .andExpect(status().isAccepted())
                .andExpect(jsonPath("$.request.strength").value(0.75))
                .andExpect(jsonPath("$.request.mask_mode").value("alpha"))
                .andExpect(jsonPath("$.request.mask_invert").value(true))
                .andExpect(jsonPath("$.request.mask_blur").value(0))
                .andExpect(jsonPath("$.request.masked_content").value("latent_noise"))
                .andExpect(jsonPath("$.request.inpaint_area").value("masked"))
                .andExpect(jsonPath("$.request.inpaint_padding").value(8));
        // plain img2img keeps its own default
        generate(edit()).andExpect(status().isAccepted()).andExpect(jsonPath("$.request.strength").value(0.8))
                .andExpect(jsonPath("$.request.mask_blur").doesNotExist());
    }

    @Test
    void anOutpaintingJobEchoesItsCanvasExtension() throws Exception {
        ObjectNode request = edit();
        request.putObject("outpaint").put("right", 32);
        generate(request)
                .andExpect(status().isAccepted())
                .andExpect(jsonPath("$.request.strength").value(1.0))
                .andExpect(jsonPath("$.request.width").value(64))
                .andExpect(jsonPath("$.request.outpaint.left").value(0))
                .andExpect(jsonPath("$.request.outpaint.right").value(32))
                .andExpect(jsonPath("$.request.outpaint.up").value(0))
                .andExpect(jsonPath("$.request.outpaint.down").value(0))
                .andExpect(jsonPath("$.request.outpaint.fill").value("edge"))
                .andExpect(jsonPath("$.request.mask_blur").value(4));
    }

    @Test
    void inpaintingSettingsNeedAnInitImage() throws Exception {
        ObjectNode request = JSON.createObjectNode().put("prompt", "x").put("mask", png(64, 64, false))
                .put("mask_mode", "alpha").put("mask_blur", 2).put("masked_content", "fill")
                .put("inpaint_area", "masked").put("inpaint_padding", 4).put("mask_invert", true);
        request.putObject("outpaint").put("left", 32);
        generate(request)
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[*].field").value(hasItems("mask", "mask_mode", "mask_invert",
                        "mask_blur", "masked_content", "inpaint_area", "inpaint_padding", "outpaint")))
                .andExpect(jsonPath("$.errors[0].message").value("applies only with init_image"));
    }

    @Test
    void maskSettingsNeedAMaskOrAnOutpaint() throws Exception {
        generate(edit().put("mask_mode", "alpha").put("mask_invert", true).put("mask_blur", 8)
                .put("masked_content", "fill").put("inpaint_area", "masked").put("inpaint_padding", 4))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors.length()").value(6))
                .andExpect(jsonPath("$.errors[0].field").value("mask_mode"))
                .andExpect(jsonPath("$.errors[0].message").value("applies only with mask"))
                .andExpect(jsonPath("$.errors[2].field").value("mask_blur"))
                .andExpect(jsonPath("$.errors[2].message").value("applies only with mask or outpaint"));
    }

    @Test
    void badChoicesAndRangesAreFieldErrorsAllAtOnce() throws Exception {
        generate(edit().put("mask", png(64, 64, false)).put("mask_mode", "green").put("mask_blur", 65)
                .put("masked_content", "latent").put("inpaint_area", "some").put("inpaint_padding", -1))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors.length()").value(5))
                .andExpect(jsonPath("$.errors[0].field").value("mask_mode"))
                .andExpect(jsonPath("$.errors[0].message").value("must be one of luminance, alpha"))
                .andExpect(jsonPath("$.errors[1].field").value("mask_blur"))
                .andExpect(jsonPath("$.errors[1].message").value("must be between 0 and 64"))
                .andExpect(jsonPath("$.errors[2].field").value("masked_content"))
                .andExpect(jsonPath("$.errors[2].message")
                        .value("must be one of original, fill, latent_noise, latent_nothing"))
                .andExpect(jsonPath("$.errors[3].field").value("inpaint_area"))
                .andExpect(jsonPath("$.errors[3].message").value("must be one of whole, masked"))
                .andExpect(jsonPath("$.errors[4].field").value("inpaint_padding"))
                .andExpect(jsonPath("$.errors[4].message").value("must be between 0 and 256"));
    }

    @Test
    void aMaskOfAnotherSizeThanTheInitImageIsRefusedNamingBoth() throws Exception {
        generate(edit().put("mask", png(32, 64, false)))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("mask"))
                .andExpect(jsonPath("$.errors[0].message")
                        .value(containsString("is 32×64 but init_image is 64×64")));
    }

    @Test
    void badMaskFilesAreFieldErrors() throws Exception {
        generate(edit().put("mask", "not base64!"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("mask"))
                .andExpect(jsonPath("$.errors[0].message").value("is not valid base64"));
        generate(edit().put("mask", Base64.getEncoder().encodeToString("GIF89a".getBytes())))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("mask"));
        // an opaque mask cannot be read by its transparency
        generate(edit().put("mask", png(64, 64, false)).put("mask_mode", "alpha"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("mask"))
                .andExpect(jsonPath("$.errors[0].message").value(containsString("no alpha channel")));
    }

    @Test
    void outpaintingExtensionsAreMultiplesOfTheSizeStepLeavingRoomForTheImage() throws Exception {
        ObjectNode request = edit();
        request.putObject("outpaint").put("left", 16).put("up", -32).put("fill", "blue");
        generate(request)
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors.length()").value(3))
                .andExpect(jsonPath("$.errors[0].field").value("outpaint.left"))
                .andExpect(jsonPath("$.errors[0].message").value("must be 0 or a positive multiple of 32"))
                .andExpect(jsonPath("$.errors[1].field").value("outpaint.up"))
                .andExpect(jsonPath("$.errors[2].field").value("outpaint.fill"))
                .andExpect(jsonPath("$.errors[2].message").value("must be one of edge, noise"));
        ObjectNode nothing = edit();
        nothing.putObject("outpaint");
        generate(nothing)
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("outpaint"))
                .andExpect(jsonPath("$.errors[0].message").value(containsString("at least one side")));
        ObjectNode noRoom = edit();
        noRoom.putObject("outpaint").put("left", 32).put("right", 32);
        generate(noRoom)
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("outpaint"))
                .andExpect(jsonPath("$.errors[0].message").value(containsString("leaves no room for the image")));
    }

    @Test
    void aModelWithoutAVaeEncoderCannotInpaint() throws Exception {
        generate(edit().put("model", "text-only").put("mask", png(64, 64, false)))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[*].field").value(hasItem("init_image")));
    }

    private ResultActions generate(ObjectNode body) throws Exception {
        return mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
                .content(JSON.writeValueAsString(body)));
    }

    private static ObjectNode edit() throws Exception {
        return JSON.createObjectNode().put("prompt", "x").put("init_image", png(64, 64, false));
    }

    /** A PNG of one grey, opaque or (with alpha) half transparent, base64. */
    private static String png(int width, int height, boolean alpha) throws Exception {
        BufferedImage image = new BufferedImage(width, height,
                alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, x < width / 2 ? 0x80808080 : 0xffffffff);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }
}
