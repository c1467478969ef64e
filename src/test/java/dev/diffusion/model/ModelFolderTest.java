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

    @Test
    void aFolderWithoutExtraUnetInputsIsAPlainGuidedModel() {
        ModelIndex index = ModelFolder.open(Path.of("src/test/resources/models/tiny")).index();

        assertThat(index.unetExtraInputs()).isEmpty();
        assertThat(index.takesGuidanceEmbedding()).isFalse();
    }

    @Test
    void aGuidanceDistilledFolderSaysItsUnetTakesTheGuidanceEmbedding() {
        ModelIndex index = ModelFolder.open(Path.of("src/test/resources/models/tiny-lcm")).index();

        assertThat(index.unetExtraInputs()).containsExactly(ModelIndex.TIMESTEP_COND);
        assertThat(index.takesGuidanceEmbedding()).isTrue();
        assertThat(index.timeCondProjDim()).isEqualTo(32);
    }

    @Test
    void anExtraInputTheServiceCannotSupplyOrAnEmbeddingWithoutItsWidthIsRefused(@TempDir Path dir)
            throws IOException {
        assertThatThrownBy(() -> ModelFolder.open(folderWithIndexEntries(dir.resolve("a"),
                "\"unet_extra_inputs\": [\"class_labels\"]")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("class_labels");
        assertThatThrownBy(() -> ModelFolder.open(folderWithIndexEntries(dir.resolve("b"),
                "\"unet_extra_inputs\": [\"timestep_cond\"]")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("time_cond_proj_dim");
    }

    /** A folder with the small files of the test model, empty network files and extra model_index.json entries. */
    private static Path folderWithIndexEntries(Path dir, String entries) throws IOException {
        Path tiny = Path.of("src/test/resources/models/tiny");
        for (String file : List.of("scheduler/scheduler_config.json", "tokenizer/tokenizer.json")) {
            Files.createDirectories(dir.resolve(file).getParent());
            Files.copy(tiny.resolve(file), dir.resolve(file));
        }
        for (String part : List.of("text_encoder", "unet", "vae_decoder")) {
            Files.createDirectories(dir.resolve(part));
            Files.createFile(dir.resolve(part).resolve("model.pt"));
        }
        String index = Files.readString(tiny.resolve("model_index.json")).trim();
        Files.writeString(dir.resolve("model_index.json"),
                index.substring(0, index.length() - 1) + ", " + entries + "}");
        return dir;
    }
}
