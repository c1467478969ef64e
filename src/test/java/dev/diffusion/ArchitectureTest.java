package dev.diffusion;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The package boundaries, as rules of the build: the engine knows nothing of Spring, HTTP or metrics; the web layer
 * nothing of DJL; no package depends on itself through others; the API's features stand apart.
 */
@AnalyzeClasses(packages = "dev.diffusion", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    private static final String[] ENGINE = {"dev.diffusion.scheduler..", "dev.diffusion.pipeline..",
        "dev.diffusion.model..", "dev.diffusion.image.."};

    @ArchTest
    static final ArchRule theEngineUsesNoSpringServletOrMicrometer = noClasses().that().resideInAnyPackage(ENGINE)
            .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "jakarta.servlet..",
                    "io.micrometer..", "org.apache.catalina..", "org.apache.tomcat..");

    @ArchTest
    static final ArchRule theEngineUsesNoServicePackage = noClasses().that().resideInAnyPackage(ENGINE)
            .should().dependOnClassesThat().resideInAnyPackage("dev.diffusion.api..", "dev.diffusion.web..",
                    "dev.diffusion.jobs..", "dev.diffusion.worker..", "dev.diffusion.security..",
                    "dev.diffusion.catalog..");

    @ArchTest
    static final ArchRule theWebLayerUsesNoDjl = noClasses().that()
            .resideInAnyPackage("dev.diffusion.api..", "dev.diffusion.web..", "dev.diffusion.security..")
            .should().dependOnClassesThat().resideInAnyPackage("ai.djl..");

    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("dev.diffusion.(*)..").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule apiFeaturesStandApart = slices().matching("dev.diffusion.api.(*)..")
            .should().notDependOnEachOther();
}
