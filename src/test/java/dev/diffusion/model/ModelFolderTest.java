package dev.diffusion.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFolderTest {

    private static final String FIRST_LAYOUT = """
            {"format": "torchscript", "sample_size": 64, "vae_scale_factor": 4, "scaling_factor": 0.18215,
             "pad_token_id": 49407, "default_scheduler": "ddim"}
            """;

    @TempDir
    Path dir;

    private Path folder(String index, String... parts) throws IOException {
        Path model = Files.createTempDirectory(dir, "model");
        Files.createDirectories(model.resolve("scheduler"));
        Files.writeString(model.resolve("model_index.json"), index);
        Files.writeString(model.resolve("scheduler").resolve("scheduler_config.json"), "{}");
        for (String part : parts) {
            Path file = model.resolve(part);
            Files.createDirectories(file.getParent());
            Files.writeString(file, "");
        }
        return model;
    }

    private Path folder(String index) throws IOException {
        return folder(index, "tokenizer/tokenizer.json", "text_encoder/model.pt", "unet/model.pt",
                "vae_decoder/model.pt");
    }

    @Test
    void aFolderOfTheFirstLayoutKeepsItsMeaning() throws IOException {
        ModelFolder model = ModelFolder.open(folder(FIRST_LAYOUT));

        ModelIndex index = model.index();
        assertThat(index.textCleaning()).isEqualTo(TextCleaning.OPENAI);
        assertThat(index.unetExtraInputs()).isEmpty();
        assertThat(index.forceZerosForEmptyPrompt()).isFalse();
        assertThat(index.padTokenId2()).isEqualTo(49407);
        assertThat(model.hasSecondTextEncoder()).isFalse();
        assertThat(model.tokenizerFiles()).hasSize(1);
    }

    @Test
    void anSdxlFolderNamesItsSecondEncoderExtraInputsAndTimeIds() throws IOException {
        Path sdxl = folder(FIRST_LAYOUT.replace("}", """
                , "pad_token_id_2": 0, "text_cleaning": "transformers_slow", "force_zeros_for_empty_prompt": true,
                 "unet_extra_inputs": ["text_embeds", "time_ids"],
                 "time_ids": ["original_size", "crops_coords_top_left", "target_size"]}"""),
                "tokenizer/tokenizer.json", "tokenizer_2/tokenizer.json", "text_encoder/model.pt",
                "text_encoder_2/model.pt", "unet/model.pt", "vae_decoder/model.pt");

        ModelFolder model = ModelFolder.open(sdxl);

        ModelIndex index = model.index();
        assertThat(index.padTokenId2()).isZero();
        assertThat(index.textCleaning()).isEqualTo(TextCleaning.TRANSFORMERS_SLOW);
        assertThat(index.forceZerosForEmptyPrompt()).isTrue();
        assertThat(index.unetExtraInputs()).containsExactly(UnetExtraInput.TEXT_EMBEDS, UnetExtraInput.TIME_IDS);
        assertThat(index.timeIds()).containsExactly(TimeIdPart.ORIGINAL_SIZE, TimeIdPart.CROPS_COORDS_TOP_LEFT,
                TimeIdPart.TARGET_SIZE);
        assertThat(model.tokenizerFiles()).containsExactly(sdxl.resolve("tokenizer/tokenizer.json"),
                sdxl.resolve("tokenizer_2/tokenizer.json"));
    }

    @Test
    void unknownNamesAndMissingPartsAreRefusedWhenTheFolderIsOpened() throws IOException {
        for (String bad : List.of("\"unet_extra_inputs\": [\"class_labels\"]", "\"unet_extra_inputs\": [\"time_ids\"]",
                "\"unet_extra_inputs\": \"text_embeds\"", "\"text_cleaning\": \"ftfy\"",
                "\"unet_extra_inputs\": [\"time_ids\"], \"time_ids\": [\"crop\"]")) {
            Path model = folder(FIRST_LAYOUT.replace("}", ", " + bad + "}"));
            assertThatThrownBy(() -> ModelFolder.open(model)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("model_index.json");
        }
        Path withoutSecondTokenizer = folder(FIRST_LAYOUT, "tokenizer/tokenizer.json", "text_encoder/model.pt",
                "text_encoder_2/model.pt", "unet/model.pt", "vae_decoder/model.pt");
        assertThatThrownBy(() -> ModelFolder.open(withoutSecondTokenizer)).hasMessageContaining("tokenizer_2");
    }

    @Test
    void aGuidanceDistilledFolderSaysItsUnetTakesTheGuidanceEmbedding() {
        ModelIndex index = ModelFolder.open(Path.of("src/test/resources/models/tiny-lcm")).index();

        assertThat(index.unetExtraInputs()).containsExactly(UnetExtraInput.TIMESTEP_COND);
        assertThat(index.takesGuidanceEmbedding()).isTrue();
        assertThat(index.timeCondProjDim()).isEqualTo(32);
        assertThat(ModelFolder.open(Path.of("src/test/resources/models/tiny")).index().takesGuidanceEmbedding())
                .isFalse();
    }

    @Test
    void aGuidanceEmbeddingWithoutItsWidthIsRefused() throws IOException {
        Path model = folder(FIRST_LAYOUT.replace("}", ", \"unet_extra_inputs\": [\"timestep_cond\"]}"));
        assertThatThrownBy(() -> ModelFolder.open(model)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("time_cond_proj_dim");
    }

    @Test
    void anInpaintingUnetTakesTwiceTheLatentChannelsAndOneAndAnOrdinaryOneTheLatents() throws IOException {
        assertThat(ModelFolder.open(folder(FIRST_LAYOUT)).index().inpaintingUnet()).isFalse();
        ModelIndex inpainting = ModelFolder.open(folder(FIRST_LAYOUT.replace("}", ", \"unet_in_channels\": 9}")))
                .index();
        assertThat(inpainting.unetInChannels()).isEqualTo(9);
        assertThat(inpainting.inpaintingUnet()).isTrue();
        Path odd = folder(FIRST_LAYOUT.replace("}", ", \"unet_in_channels\": 8}"));
        assertThatThrownBy(() -> ModelFolder.open(odd)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unet_in_channels");
    }
}
