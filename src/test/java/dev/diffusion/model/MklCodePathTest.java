package dev.diffusion.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.djl.Device;
import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MklCodePathTest {

    @Test
    void oneMklTakesTheKernelsOfItsCpuFeaturesOnceAModelIsLoaded() throws Exception {
        assumeFalse("false".equalsIgnoreCase(System.getenv(MklCodePath.SWITCH)), "switched off in this environment");
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(Path.of("src/test/resources/models/tiny")),
                Device.cpu())) {
            Path torchCpu = NativeRuntime.loadedLibrary("libtorch_cpu.so");
            assertThat(torchCpu).isNotNull();
            Function check = NativeLibrary.getInstance(torchCpu.toString()).getFunction(MklCodePath.VENDOR_CHECK);
            // on an Intel CPU the answer is 1 anyway; on any other the change made it so
            assertThat(check.invokeInt(new Object[0])).isEqualTo(1);
            assertThat(MklCodePath.cachedAnswer(check).getInt(0)).isEqualTo(1);
        }
    }

    @Test
    void findsTheCachedAnswerFromTheMovesDisplacement() {
        Memory code = new Memory(64);
        // mov 0x20(%rip),%eax; test %eax,%eax; js +1; ret
        code.write(0, new byte[] {(byte) 0x8b, 0x05, 0x20, 0, 0, 0, (byte) 0x85, (byte) 0xc0, 0x78, 0x01,
            (byte) 0xc3}, 0, 11);
        Pointer cached = MklCodePath.cachedAnswer(Function.getFunction(code));
        assertThat(Pointer.nativeValue(cached)).isEqualTo(Pointer.nativeValue(code) + 6 + 0x20);
    }

    @Test
    void leavesCodeThatIsNotTheCachedCheckAlone() {
        Memory code = new Memory(64);
        // the same check with a jump the other way round (jns): another build's code
        code.write(0, new byte[] {(byte) 0x8b, 0x05, 0x20, 0, 0, 0, (byte) 0x85, (byte) 0xc0, 0x79, 0x01,
            (byte) 0xc3}, 0, 11);
        assertThat(MklCodePath.cachedAnswer(Function.getFunction(code))).isNull();
    }
}
