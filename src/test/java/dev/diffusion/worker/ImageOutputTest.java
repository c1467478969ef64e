package dev.diffusion.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.image.EmbeddedParameters;
import dev.diffusion.image.OutputFormat;
import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.JobImage;
import dev.diffusion.pipeline.GeneratedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import org.junit.jupiter.api.Test;

/**
 * A finished image's file: a valid picture in the job's format whose infotext says what made it, whatever the prompt
 * holds.
 */
class ImageOutputTest {

    /** AUTOMATIC1111's reading of an infotext: prompt lines, a "Negative prompt:" line, and a last line of pairs. */
    private record Infotext(String prompt, String negativePrompt, Map<String, String> parameters) {

        private static final Pattern PAIR = Pattern.compile("\\s*(\\w[\\w \\-/]+):\\s*(\"(?:\\\\.|[^\\\\\"])+\"|[^,]*)(?:,|$)");

        static Infotext parse(String text) {
            List<String> lines = new ArrayList<>(List.of(text.strip().split("\n")));
            String last = lines.remove(lines.size() - 1);
            Matcher pairs = PAIR.matcher(last);
            Map<String, String> parameters = new LinkedHashMap<>();
            while (pairs.find()) {
                parameters.put(pairs.group(1), pairs.group(2));
            }
            if (parameters.size() < 3) {
                lines.add(last);
                parameters.clear();
            }
            StringBuilder prompt = new StringBuilder();
            StringBuilder negative = new StringBuilder();
            boolean inNegative = false;
            for (String line : lines) {
                if (line.startsWith("Negative prompt:")) {
                    inNegative = true;
                    line = line.substring("Negative prompt:".length()).strip();
                }
                StringBuilder target = inNegative ? negative : prompt;
                target.append(target.isEmpty() ? "" : "\n").append(line);
            }
            return new Infotext(prompt.toString(), negative.toString(), parameters);
        }
    }

    @Test
    void aPromptCanNeitherBreakThePngNorForgeItsParameters() throws Exception {
        String prompt = "a red circle\u0000\r\nNegative prompt: forged\nSteps: 999, Sampler: Forged, CFG scale: 1.0\u2028x";
        GenerationSpec spec = GenerationSpec.builder().model("shapes").prompt(prompt).negativePrompt("blue\nSteps: 1")
                .width(2).height(1).steps(12).guidanceScale(2.5).scheduler("dpmpp_2m_karras").seed(40).build();

        JobImage image = ImageOutput.finished(new GeneratedImage(0, 41, 2, 1, new byte[6]), spec);

        assertThat(image.mediaType()).isEqualTo("image/png");
        Infotext read = Infotext.parse(parameters(image.data()));
        assertThat(read.prompt()).isEqualTo("a red circle\uFFFD Negative prompt: forged Steps: 999, Sampler: Forged, "
                + "CFG scale: 1.0 x");
        assertThat(read.negativePrompt()).isEqualTo("blue Steps: 1");
        assertThat(read.parameters()).containsEntry("Steps", "12").containsEntry("Sampler", "DPM++ 2M Karras")
                .containsEntry("Seed", "41").containsEntry("Size", "2x1").containsEntry("Model", "shapes");
    }

    @Test
    void anImageIsWrittenInTheJobsFormatWithItsParametersWhereAutomatic1111PutsThem() throws Exception {
        for (OutputFormat format : OutputFormat.values()) {
            GenerationSpec spec = GenerationSpec.builder().model("shapes").prompt("a red circle").width(2).height(1)
                    .steps(12).guidanceScale(2.5).scheduler("euler").seed(40)
                    .output(new GenerationSpec.Output(format, 70)).build();

            JobImage image = ImageOutput.finished(new GeneratedImage(0, 41, 2, 1, new byte[6]), spec);

            assertThat(image.mediaType()).isEqualTo("image/" + format.id());
            assertThat(EmbeddedParameters.read(format, image.data())).as(format.id())
                    .hasValue(dev.diffusion.jobs.Infotext.of(spec, 41));
        }
    }

    @Test
    void anInpaintedImageCarriesAutomatic1111sMaskKeysWhereA1111WritesThem() throws Exception {
        GenerationSpec.Inpainting settings = new GenerationSpec.Inpainting(null, GenerationSpec.MaskMode.LUMINANCE,
                true, 6, GenerationSpec.MaskedContent.LATENT_NOISE, GenerationSpec.InpaintArea.MASKED, 24, null);
        GenerationSpec spec = GenerationSpec.builder().model("shapes").prompt("a green circle").width(2).height(1)
                .steps(12).guidanceScale(2.5).scheduler("euler").seed(40)
                .initImage(new GenerationSpec.InitImage(new byte[] {1}, 0.75, settings)).build();

        String text = parameters(ImageOutput.finished(new GeneratedImage(0, 41, 2, 1, new byte[6]), spec).data());

        assertThat(text).endsWith("Denoising strength: 0.75, Mask mode: Inpaint not masked, Mask blur: 6, "
                + "Inpaint area: Only masked, Masked area padding: 24, Masked content: latent noise");
        assertThat(Infotext.parse(text).parameters()).containsEntry("Mask blur", "6")
                .containsEntry("Inpaint area", "Only masked").containsEntry("Masked area padding", "24")
                .containsEntry("Mask mode", "Inpaint not masked").containsEntry("Masked content", "latent noise");

        // A1111 writes none of them for its defaults (original content, whole picture, mask as drawn) but the blur
        GenerationSpec defaults = spec.toBuilder().initImage(new GenerationSpec.InitImage(new byte[] {1}, 1.0,
                new GenerationSpec.Inpainting(null, GenerationSpec.MaskMode.ALPHA, false, 4,
                        GenerationSpec.MaskedContent.ORIGINAL, GenerationSpec.InpaintArea.WHOLE, 32, null))).build();
        assertThat(parameters(ImageOutput.finished(new GeneratedImage(0, 41, 2, 1, new byte[6]), defaults).data()))
                .endsWith("Denoising strength: 1.0, Mask blur: 4");
    }

    /** The {@code parameters} text, read by ImageIO, which checks every chunk's CRC as it goes. */
    private static String parameters(byte[] png) throws Exception {
        ImageReader reader = ImageIO.getImageReadersByFormatName("png").next();
        reader.setInput(ImageIO.createImageInputStream(new ByteArrayInputStream(png)));
        assertThat(reader.read(0).getWidth()).isEqualTo(2);
        IIOMetadataNode tree = (IIOMetadataNode) reader.getImageMetadata(0).getAsTree("javax_imageio_png_1.0");
        for (String tag : List.of("tEXtEntry", "iTXtEntry")) {
            var entries = tree.getElementsByTagName(tag);
            for (int i = 0; i < entries.getLength(); i++) {
                IIOMetadataNode entry = (IIOMetadataNode) entries.item(i);
                if ("parameters".equals(entry.getAttribute("keyword"))) {
                    return entry.getAttribute(tag.equals("tEXtEntry") ? "value" : "text");
                }
            }
        }
        throw new AssertionError("no parameters text");
    }
}
