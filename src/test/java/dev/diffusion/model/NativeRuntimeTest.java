package dev.diffusion.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Library;
import ai.djl.Device;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class NativeRuntimeTest {

    interface Getenv extends Library {
        String getenv(String name);
    }

    @Test
    void libtorchFindsItsSettingsInTheProcessEnvironment() {
        assumeTrue(System.getenv(NativeRuntime.WAIT_POLICY) == null && System.getenv(NativeRuntime.HUGE_PAGES) == null,
                "set by hand in this environment");
        DjlSettings.applyDefaults();
        // libtorch and its OpenMP read the C library's environment, not Java's copy of it
        Getenv libc = Native.load(Platform.C_LIBRARY_NAME, Getenv.class);
        assertThat(libc.getenv(NativeRuntime.WAIT_POLICY)).isEqualTo("PASSIVE");
        assertThat(libc.getenv(NativeRuntime.HUGE_PAGES)).isEqualTo("1");
        // the build sets it for the tests too, as a start by hand may not: either way oneDNN finds it
        assertThat(libc.getenv(NativeRuntime.MAX_CPU_ISA)).isEqualTo("AVX2");
        assertThat(libc.getenv(NativeRuntime.ATEN_CAPABILITY)).isEqualTo("avx2");
        assertThat(DjlSettings.nativeRuntime()).contains("OpenMP", "huge pages");
    }

    @Test
    void libtorchLogsAtTheLevelOfItsVariableOnceAModelIsLoaded() throws Exception {
        // the build sets TORCH_CPP_LOG_LEVEL=ERROR for the tests; the service sets it itself where it is absent
        String set = System.getenv(NativeRuntime.LOG_LEVEL);
        assumeTrue(set == null || "ERROR".equals(set), "set to another level by hand in this environment");
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(Path.of("src/test/resources/models/tiny")),
                Device.cpu())) {
            Path c10 = NativeRuntime.loadedLibrary("libc10.so");
            assertThat(c10).isNotNull();
            assertThat(NativeRuntime.applyLibtorchLogLevel()).isTrue();
            // c10's levels: 0 info, 1 warning, 2 error; its default is warning, at which NNPACK's line is printed
            int level = NativeLibrary.getInstance(c10.toString()).getGlobalVariableAddress("FLAGS_caffe2_log_level")
                    .getInt(0);
            assertThat(level).isEqualTo(2);
        }
    }

    @Test
    void atenDispatchesToItsAvx2KernelsEvenWhereTheCpuHasAvx512() throws Exception {
        String set = System.getenv(NativeRuntime.ATEN_CAPABILITY);
        assumeTrue(set == null || "avx2".equals(set), "set to another capability by hand in this environment");
        DjlSettings.applyDefaults();
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(Path.of("src/test/resources/models/tiny")),
                Device.cpu())) {
            boolean avx2 = Files.readString(Path.of("/proc/cpuinfo")).contains(" avx2 ");
            assertThat(NativeRuntime.atenKernels()).isEqualTo(avx2 ? "AVX2" : "NO AVX");
        }
    }
}
