package dev.diffusion.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Turns the {@code devices} setting into DJL devices: {@code auto}, {@code cpu}, or GPU ids like {@code 0,1}. */
public final class Devices {

    private Devices() {
    }

    public static List<Device> resolve(String spec) {
        String value = spec.trim().toLowerCase(Locale.ROOT);
        if (value.equals("cpu")) {
            return List.of(Device.cpu());
        }
        int gpus = Engine.getEngine("PyTorch").getGpuCount();
        if (value.equals("auto")) {
            return gpus == 0 ? List.of(Device.cpu()) : gpuList(gpus);
        }
        List<Device> devices = new ArrayList<>();
        for (String id : value.split(",")) {
            int gpu;
            try {
                gpu = Integer.parseInt(id.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("devices must be auto, cpu or GPU ids like 0,1; not " + spec);
            }
            if (gpu < 0 || gpu >= gpus) {
                throw new IllegalArgumentException("GPU " + gpu + " does not exist (" + gpus + " GPUs found)");
            }
            devices.add(Device.gpu(gpu));
        }
        return devices;
    }

    private static List<Device> gpuList(int count) {
        List<Device> devices = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            devices.add(Device.gpu(i));
        }
        return devices;
    }
}
