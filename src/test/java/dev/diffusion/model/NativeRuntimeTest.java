package dev.diffusion.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
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
        assertThat(DjlSettings.nativeRuntime()).contains("OpenMP", "huge pages");
    }
}
