package dev.diffusion.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class IntraOpThreadsTest {

    @Test
    void smallCallsTakeTheFewThreadsAndLargeOnesTheMany() {
        IntraOpThreads threads = new IntraOpThreads(1, 2, 8);

        assertThat(threads.forRows(1)).isEqualTo(1);
        assertThat(threads.forRows(7)).isEqualTo(1);
        assertThat(threads.forRows(8)).isEqualTo(2);
        assertThat(threads.forRows(32)).isEqualTo(2);
    }

    @Test
    void setsTheCallingThreadsCountInLibtorch() {
        // libtorch must be loaded before its thread count can be read
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(Path.of("src/test/resources/models/tiny")),
                Device.cpu())) {
            int before = JniUtils.getNumThreads();
            try {
                IntraOpThreads threads = new IntraOpThreads(1, 3, 4);
                threads.applyFor(2);
                assertThat(JniUtils.getNumThreads()).isEqualTo(1);
                threads.applyFor(4);
                assertThat(JniUtils.getNumThreads()).isEqualTo(3);
                IntraOpThreads.UNCHANGED.applyFor(100);
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
