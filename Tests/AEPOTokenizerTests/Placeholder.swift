// Tests of AEPOTokenizer go in this folder; remove this file once one exists.
