package dev.diffusion.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class IntraOpThreadsTest {

    @Test
    void smallCallsTakeTheFewThreadsAndLargeOnesTheMany() {
        IntraOpThreads threads = new IntraOpThreads(1, 2, 8);

        assertThat(threads.forInput(new Shape(1, 4, 16, 16))).isEqualTo(1);
        assertThat(threads.forInput(new Shape(7, 4, 16, 16))).isEqualTo(1);
        assertThat(threads.forInput(new Shape(8, 4, 16, 16))).isEqualTo(2);
        assertThat(threads.forInput(new Shape(32, 4, 16, 16))).isEqualTo(2);
        // rows smaller than the bundled model's latent (token ids) count as whole rows
        assertThat(threads.forInput(new Shape(7, 77))).isEqualTo(1);
        assertThat(threads.forInput(new Shape(8, 77))).isEqualTo(2);
    }

    @Test
    void largerLatentsCountByTheirValues() {
        IntraOpThreads threads = new IntraOpThreads(1, 2, 4);

        // a 32x32 latent is 4 rows' work of a 16x16 one
        assertThat(threads.forInput(new Shape(1, 4, 32, 32))).isEqualTo(2);
        assertThat(threads.forInput(new Shape(1, 4, 24, 24))).isEqualTo(1);
        assertThat(threads.forInput(new Shape(2, 4, 64, 64))).isEqualTo(2);
    }

    @Test
    void theWorkFromWhichCallsTakeMoreThreadsIsGivenInRowsTimesLatentArea() {
        // 8 rows of 4x16x16: 8 × 256 positions at 4 channels, half as many positions at 8 channels
        assertThat(new IntraOpThreads(1, 2, 8).parallelFromArea(4)).isEqualTo(2048);
        assertThat(new IntraOpThreads(1, 2, 8).parallelFromArea(8)).isEqualTo(1024);
        assertThat(IntraOpThreads.UNCHANGED.parallelFromArea(4)).isZero();
        assertThat(new IntraOpThreads(2, 2, 8).parallelFromArea(4)).isZero();
    }

    @Test
    void setsTheCallingThreadsCountInLibtorch() {
        // libtorch must be loaded before its thread count can be read
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(Path.of("src/test/resources/models/tiny")),
                Device.cpu())) {
            int before = JniUtils.getNumThreads();
            try {
                IntraOpThreads threads = new IntraOpThreads(1, 3, 4);
                threads.applyFor(new Shape(2, 4, 16, 16));
                assertThat(JniUtils.getNumThreads()).isEqualTo(1);
                threads.applyFor(new Shape(4, 4, 16, 16));
                assertThat(JniUtils.getNumThreads()).isEqualTo(3);
                IntraOpThreads.UNCHANGED.applyFor(new Shape(100, 4, 16, 16));
                assertThat(JniUtils.getNumThreads()).isEqualTo(3);
            } finally {
                JniUtils.setNumThreads(before);
            }
        }
    }

    @Test
    void refusesNegativeCountsAndAnEmptyThreshold() {
        assertThatThrownBy(() -> new IntraOpThreads(-1, 2, 8)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new IntraOpThreads(1, 2, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
