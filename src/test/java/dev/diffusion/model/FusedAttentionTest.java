package dev.diffusion.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.TranslateException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FusedAttentionTest {

    private static final Path SD15 = Path.of("src/test/resources/parity/models/tiny-sd15");
    private static final Path SHAPES = Path.of("src/main/models/shapes");

    /** How many attention blocks each committed network has, as exported by diffusers' classes or models.py. */
    @ParameterizedTest
    @CsvSource({
        "src/test/resources/parity/models/tiny-sd15/unet, 8",
        "src/test/resources/parity/models/tiny-sd15/vae_decoder, 1",
        "src/test/resources/parity/models/tiny-sd2/unet, 8",
        "src/test/resources/parity/models/tiny-sdxl/unet, 16",
        "src/main/models/shapes/unet, 15",
        "src/main/models/shapes/text_encoder, 2",
    })
    void findsEveryAttentionBlockOfTheCommittedNetworks(Path part, int blocks, @TempDir Path dir) throws IOException {
        Path copy = dir.resolve("model.pt");

        assertThat(FusedAttention.rewriteArchive(part.resolve("model.pt"), copy)).isEqualTo(blocks);
        try (ZipFile zip = new ZipFile(copy.toFile())) {
            String code = zip.stream().filter(e -> e.getName().contains("/code/"))
                    .map(e -> read(zip, e.getName())).reduce("", String::concat);
            assertThat(code).doesNotContain("torch.baddbmm(").doesNotContain("torch.softmax(");
            assertThat(code.split("scaled_dot_product_attention", -1)).hasSize(blocks + 1);
        }
    }

    @Test
    void writesNothingForANetworkWithoutAttention(@TempDir Path dir) throws IOException {
        Path copy = dir.resolve("model.pt");

        assertThat(FusedAttention.rewriteArchive(SHAPES.resolve("vae_decoder/model.pt"), copy)).isZero();
        assertThat(copy).doesNotExist();
    }

    @Test
    void leavesAttentionWithAMaskAsExported() {
        String masked = """
                    baddbmm_input = torch.empty([_29, _31, int(_32)], dtype=6, layout=None, device=torch.device("cpu"))
                    attention_scores = torch.baddbmm(mask, query, torch.transpose(key, -1, -2), beta=1, alpha=0.125)
                    attention_probs = torch.softmax(attention_scores, -1)
                    tensor5 = torch.bmm(attention_probs, value)
                """;
        String halfPrecision = """
                    baddbmm_input = torch.empty([_29, _31, int(_32)], dtype=5, layout=None, device=torch.device("cpu"))
                    attention_scores = torch.baddbmm(baddbmm_input, query, torch.transpose(key, -1, -2), beta=0, alpha=0.125)
                    attention_probs = torch.softmax(attention_scores, -1)
                    attention_probs0 = torch.to(attention_probs, 5)
                    tensor5 = torch.bmm(attention_probs0, value)
                """;

        assertThat(FusedAttention.rewrite(masked)).isEqualTo(new FusedAttention.Rewrite(masked, 0));
        assertThat(FusedAttention.rewrite(halfPrecision)).isEqualTo(new FusedAttention.Rewrite(halfPrecision, 0));
    }

    @Test
    void rewritesDiffusersAttentionToOneFusedCall() {
        String traced = """
                    baddbmm_input = torch.empty([_29, _31, int(_32)], dtype=6, layout=None, device=torch.device("cpu"))
                    attention_scores = torch.baddbmm(baddbmm_input, query, torch.transpose(key, -1, -2), beta=0, alpha=0.35355339059327379)
                    attention_probs = torch.softmax(attention_scores, -1)
                    attention_probs0 = torch.to(attention_probs, 6)
                    tensor5 = torch.bmm(attention_probs0, value)
                    _33 = ops.prim.NumToTensor(torch.size(tensor5, 0))
                """;

        assertThat(FusedAttention.rewrite(traced).code()).isEqualTo("""
                    tensor5 = torch.squeeze(torch.scaled_dot_product_attention(torch.unsqueeze(query, 0), \
                torch.unsqueeze(key, 0), torch.unsqueeze(value, 0), None, 0., False, scale=0.35355339059327379), 0)
                    _33 = ops.prim.NumToTensor(torch.size(tensor5, 0))
                """);
    }

    /** The fused networks compute what the exported ones do, to float rounding, at a latent of 32×32 and 2 rows. */
    @Test
    void fusedNetworksComputeWhatTheExportedOnesDo() throws TranslateException {
        assertSameOutputs(SD15, p -> p.unet(), m -> unetInputs(m, SD15, 32));
        assertSameOutputs(SHAPES, p -> p.unet(), m -> unetInputs(m, SHAPES, 32));
        assertSameOutputs(SD15, p -> p.vaeDecoder(), m -> new NDList(m.randomNormal(new Shape(1, 4, 32, 32))));
    }

    @Test
    void saysWhatItFusedAndLeavesTheFileAlone() throws IOException {
        long before = Files.size(SD15.resolve("unet/model.pt"));
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(SD15), Device.cpu())) {
            assertThat(model.loadNotes()).containsExactly("unet: 8 attention blocks fused",
                    "vae_decoder: 1 attention block fused", "vae_encoder: 1 attention block fused");
        }
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(SD15), Device.cpu(),
                LoadedModel.Attention.AS_EXPORTED)) {
            assertThat(model.loadNotes()).isEmpty();
        }
        assertThat(Files.size(SD15.resolve("unet/model.pt"))).isEqualTo(before);
    }

    private static void assertSameOutputs(Path folder, Function<ModelPredictors, Predictor<NDList, NDList>> network,
            Function<NDManager, NDList> inputs) throws TranslateException {
        try (LoadedModel exported = LoadedModel.load(ModelFolder.open(folder), Device.cpu(),
                        LoadedModel.Attention.AS_EXPORTED);
                LoadedModel fused = LoadedModel.load(ModelFolder.open(folder), Device.cpu());
                ModelPredictors a = exported.newPredictors();
                ModelPredictors b = fused.newPredictors();
                NDManager manager = a.manager().newSubManager()) {
            manager.getEngine().setRandomSeed(7);
            NDList input = inputs.apply(manager);
            float[] expected = network.apply(a).predict(input).singletonOrThrow().toFloatArray();
            NDArray actual = network.apply(b).predict(input).singletonOrThrow();
            float[] values = actual.toFloatArray();
            assertThat(values).hasSameSizeAs(expected);
            double largest = 0;
            double worst = 0;
            for (int i = 0; i < values.length; i++) {
                largest = Math.max(largest, Math.abs(expected[i]));
                worst = Math.max(worst, Math.abs(values[i] - expected[i]));
            }
            assertThat(worst).as(folder + ": largest difference against values up to " + largest)
                    .isLessThan(1e-4 * Math.max(1, largest));
        }
    }

    private static NDList unetInputs(NDManager manager, Path folder, int side) {
        ModelIndex index = ModelFolder.open(folder).index();
        return new NDList(manager.randomNormal(new Shape(2, index.latentChannels(), side, side)),
                manager.full(new Shape(2), 500f),
                manager.randomNormal(new Shape(2, index.maxTextLength(), textHidden(folder))));
    }

    private static int textHidden(Path folder) {
        try {
            return new ObjectMapper().readTree(folder.resolve("model_index.json").toFile()).get("text_hidden_size")
                    .asInt();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(ZipFile zip, String name) {
        try {
            return new String(zip.getInputStream(zip.getEntry(name)).readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
