// Tests of AEPOKernels go in this folder; remove this file once one exists.
